import { describe, expect, it } from "vitest";
import { auditEvents } from "./audit.js";
import type { SyncResult } from "./result.js";

const result = (overrides: Partial<SyncResult>): SyncResult => ({
  service: "web",
  repoKey: "main",
  repo: "org/gitops@main",
  commit: "good",
  trigger: "rollback",
  dryRun: false,
  status: "applied",
  startedAt: "2026-01-01T00:00:00.000Z",
  durationMs: 10,
  files: { changed: [], applied: [], failed: [], deleted: [] },
  objects: [{ apiVersion: "v1", kind: "ConfigMap", namespace: "shop", name: "web", action: "configured" }],
  pruned: [{ apiVersion: "v1", kind: "ConfigMap", namespace: "shop", name: "added", action: "deleted" }],
  unhealthy: [],
  orphaned: [],
  ...overrides,
});

const rollback = {
  restoredCommit: "good",
  fromCommit: "bad",
  failedCommit: "bad",
  at: "2026-01-01T00:00:01.000Z",
  by: "simple-gitops",
  reason: "E_UNHEALTHY: Deployment shop/web: not available",
};

describe("auditEvents of a rollback", () => {
  it.each([
    { name: "one that landed", overrides: {}, outcome: "succeeded", error: undefined },
    {
      name: "one that failed too",
      overrides: { status: "failed" as const, error: { code: "E_ROLLBACK_FAILED", message: "denied" } },
      outcome: "failed",
      error: "denied",
    },
  ])("adds a rollback entry after the re-apply and its prune for $name", ({ overrides, outcome, error }) => {
    const events = auditEvents(result({ rollback, ...overrides }));
    expect(events.map((event) => [event.kind, event.commit, event.result])).toEqual([
      ["apply", "good", outcome],
      ["prune", "good", "succeeded"],
      ["rollback", "good", outcome],
    ]);
    expect(events[2]).toMatchObject({
      actor: "simple-gitops",
      reason: "rolled back from bad to good; E_UNHEALTHY: Deployment shop/web: not available",
      ...(error ? { error } : {}),
    });
  });

  it("adds none for a person's rollback, which its suspension entry tells", () => {
    const { failedCommit: _failed, ...asked } = rollback;
    const events = auditEvents(result({ rollback: { ...asked, by: "ana" }, actor: "ana" }));
    expect(events.map((event) => event.kind)).toEqual(["apply", "prune"]);
  });
});

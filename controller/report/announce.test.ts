import { describe, expect, it } from "vitest";
import { parseConfig } from "../config/load.js";
import type { SyncResult } from "../record/result.js";
import { announceSuspension, notifyResult } from "./announce.js";
import type { ServiceEventReason } from "./events/service-events.js";
import type { ServiceEvent } from "./notify/messages.js";

const config = parseConfig(`
github_configs:
  main: { repo_owner: org, repo_name: gitops }
services:
  - { name: web, github: main, k8s_yaml_dir: web }
`);

/** recorders keep what was emitted and notified, to be checked. */
function recorders() {
  const events: { reason: ServiceEventReason; service: string; message: string }[] = [];
  const notified: (ServiceEvent | { sync: string })[] = [];
  return {
    events,
    notified,
    emit: (reason: ServiceEventReason, service: string, message: string) =>
      events.push({ reason, service, message }),
    notifier: {
      notifyEvent: (event: ServiceEvent) => notified.push(event),
      notify: (result: SyncResult) => notified.push({ sync: result.service }),
    },
  };
}

const result = (trigger: SyncResult["trigger"], extra: Partial<SyncResult> = {}): SyncResult => ({
  service: "web",
  repoKey: "main",
  repo: "org/gitops@main",
  commit: "0123456789abcdef",
  trigger,
  dryRun: false,
  status: "applied",
  startedAt: "2026-01-01T00:00:00.000Z",
  durationMs: 1,
  files: { changed: [], applied: [], failed: [], deleted: [] },
  objects: [],
  pruned: [],
  unhealthy: [],
  orphaned: [],
  ...extra,
});

describe("announceSuspension", () => {
  it.each([
    {
      kind: "suspend" as const,
      reason: "Suspended",
      message: /^suspended by ana at commit 0123456789ab: incident 42: nothing is applied/,
      event: "suspended",
    },
    {
      kind: "resume" as const,
      reason: "Resumed",
      message: /^resumed by ana: incident 42: git drives it again/,
      event: "resumed",
    },
  ])("tells a $kind as an Event and one notification, with who and why", ({
    kind,
    reason,
    message,
    event,
  }) => {
    const r = recorders();
    announceSuspension(config, r.emit, r.notifier)(
      kind,
      "web",
      { by: "ana", reason: "incident 42" },
      { changed: true, suspension: { by: "ana", at: "t", commit: "0123456789abcdef" } },
    );
    expect(r.events).toEqual([{ reason, service: "web", message: expect.stringMatching(message) }]);
    expect(r.notified).toEqual([
      {
        event,
        service: "web",
        repo: "org/gitops@main",
        by: "ana",
        reason: "incident 42",
        commit: "0123456789abcdef",
      },
    ]);
  });
});

describe("notifyResult", () => {
  it("sends a rollback as a rolled_back event with who asked, and any other result as its sync", () => {
    const r = recorders();
    const send = notifyResult(r.notifier, () => undefined);
    send(result("rollback", { actor: "ana" }));
    send(result("poll"));
    send(result("poll", { dryRun: true }));
    expect(r.notified).toEqual([
      expect.objectContaining({ event: "rolled_back", service: "web", by: "ana", trigger: "rollback" }),
      { sync: "web" },
    ]);
  });

  it("sends the controller's own rollback once, naming the failed commit and why, and not the failure before it", () => {
    const r = recorders();
    const send = notifyResult(r.notifier, () => undefined);
    const failed = "f".repeat(40);
    send(result("poll", { status: "failed", commit: failed, rollingBack: true }));
    const rollback = {
      restoredCommit: "0123456789abcdef",
      failedCommit: failed,
      fromCommit: failed,
      at: "t",
      by: "simple-gitops",
      reason: `commit ${failed} failed: E_UNHEALTHY: Deployment shop/web: not available`,
    };
    send(result("rollback", { rollback }));
    expect(r.notified).toEqual([
      expect.objectContaining({
        event: "rolled_back",
        commit: "0123456789abcdef",
        failedCommit: failed,
        by: "simple-gitops",
        reason: rollback.reason,
      }),
    ]);
  });
});

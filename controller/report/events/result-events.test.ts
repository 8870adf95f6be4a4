import { describe, expect, it } from "vitest";
import type { SyncResult } from "../../record/result.js";
import { type ResultEvent, resultEventListener, resultEvents } from "./result-events.js";

const COMMIT = "0123456789abcdef0123456789abcdef01234567";

const result = (overrides: Partial<SyncResult>): SyncResult => ({
  service: "web",
  repoKey: "r",
  repo: "org/gitops@main",
  commit: COMMIT,
  trigger: "poll",
  dryRun: false,
  status: "applied",
  startedAt: "2026-01-01T00:00:00.000Z",
  durationMs: 10,
  files: { changed: [], applied: [], failed: [], deleted: [] },
  objects: [],
  pruned: [],
  unhealthy: [],
  orphaned: [],
  ...overrides,
});

const deployment = { apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "web" };
const configMap = { apiVersion: "v1", kind: "ConfigMap", namespace: "shop", name: "settings" };

describe("resultEvents", () => {
  it.each([
    {
      name: "a landed set",
      given: result({
        objects: [
          { ...deployment, action: "configured" },
          { ...configMap, action: "unchanged" },
        ],
      }),
      events: [
        {
          reason: "SyncSucceeded",
          message: "commit 0123456789ab applied and healthy: 1 configured, 1 unchanged",
        },
      ],
    },
    {
      name: "a failed sync",
      given: result({ status: "failed", error: { code: "E_APPLY", message: "Deployment shop/web: denied" } }),
      events: [{ reason: "SyncFailed", message: "commit 0123456789ab failed: Deployment shop/web: denied" }],
    },
    {
      name: "a reconcile that put objects back",
      given: result({
        trigger: "reconcile",
        drift: { checkedAt: "t", mode: "correct", objects: [{ ...deployment, action: "configured" }] },
      }),
      events: [
        {
          reason: "DriftCorrected",
          message: "put back 1 object(s) changed in the cluster to commit 0123456789ab: Deployment shop/web",
        },
      ],
    },
    {
      name: "a landed set that pruned (objects already gone are not named)",
      given: result({
        pruned: [
          { ...configMap, action: "deleted" },
          { ...deployment, action: "not-found" },
        ],
      }),
      events: [
        { reason: "SyncSucceeded", message: "commit 0123456789ab applied and healthy: no objects" },
        { reason: "Pruned", message: "deleted 1 object(s) removed from git: ConfigMap shop/settings" },
      ],
    },
    {
      name: "a rollback a person asked for",
      given: result({
        trigger: "rollback",
        actor: "ana",
        objects: [{ ...deployment, action: "configured" }],
      }),
      events: [
        {
          reason: "RolledBack",
          message: "rolled back by ana to commit 0123456789ab, suspended until resumed: 1 configured",
        },
      ],
    },
    {
      name: "the controller's rollback after a failed commit",
      given: result({
        trigger: "rollback",
        rollback: {
          restoredCommit: COMMIT,
          failedCommit: "f".repeat(40),
          at: "t",
          by: "simple-gitops",
          reason: "commit f… failed",
        },
        objects: [{ ...deployment, action: "configured" }],
        pruned: [{ ...configMap, action: "deleted" }],
      }),
      events: [
        {
          reason: "RolledBack",
          message:
            "commit ffffffffffff failed to land and was rolled back to commit 0123456789ab; it is not tried again until the head moves or a manual sync: 1 configured",
        },
        {
          reason: "Pruned",
          message: "deleted 1 object(s) the failed commit created: ConfigMap shop/settings",
        },
      ],
    },
    {
      name: "a rollback that did not land",
      given: result({ trigger: "rollback", status: "failed", error: { code: "E_APPLY", message: "denied" } }),
      events: [{ reason: "SyncFailed", message: "rollback to commit 0123456789ab failed: denied" }],
    },
    { name: "a sync with nothing to do", given: result({ status: "unchanged" }), events: [] },
    { name: "a dry run", given: result({ dryRun: true }), events: [] },
  ] as { name: string; given: SyncResult; events: ResultEvent[] }[])("$name", ({ given, events }) => {
    expect(resultEvents(given)).toEqual(events);
  });

  it("names five objects and counts the rest", () => {
    const pruned = Array.from({ length: 7 }, (_, i) => ({
      ...configMap,
      name: `c${i}`,
      action: "deleted" as const,
    }));
    expect(resultEvents(result({ status: "unchanged", pruned }))).toEqual([
      {
        reason: "Pruned",
        message:
          "deleted 7 object(s) removed from git: ConfigMap shop/c0, ConfigMap shop/c1, ConfigMap shop/c2, ConfigMap shop/c3, ConfigMap shop/c4 and 2 more",
      },
    ]);
  });

  it("emits each Event of a result for its service", () => {
    const emitted: string[] = [];
    const listen = resultEventListener((reason, service, message) =>
      emitted.push(`${reason} ${service} ${message}`),
    );
    listen(result({ service: "api", status: "failed", error: { code: "E", message: "boom" } }));
    expect(emitted).toEqual(["SyncFailed api commit 0123456789ab failed: boom"]);
  });
});

import { randomUUID } from "node:crypto";
import type { SyncResult } from "./result.js";
import type { AuditEvent, Suspension, Trigger } from "./state/state.js";

/**
 * auditEvents turns one SyncResult into the audit trail's entries: one for the apply, with every object and its
 * action (and why, for a failed or skipped one), one for the prune when something was pruned, one per object a
 * reconcile found drifted (put back or only reported), one for the suspension a person's rollback leaves, and one
 * `rollback` entry for the controller's own rollback after a failed commit: which commit failed, why, and whether
 * the last landed set came back. A sync that had nothing to do leaves no entry.
 */
export function auditEvents(result: SyncResult): AuditEvent[] {
  const drift = driftEvents(result);
  if (result.status === "unchanged") return drift;
  const base = {
    time: result.startedAt,
    trigger: result.trigger,
    service: result.service,
    repo: result.repo,
    commit: result.commit ?? "",
    durationMs: result.durationMs,
    ...(result.actor ? { actor: result.actor } : {}),
  };
  const events: AuditEvent[] = [
    {
      ...base,
      id: randomUUID(),
      kind: "apply",
      result: result.status === "failed" ? "failed" : "succeeded",
      objects: result.objects.map(eventObject),
      ...(result.error ? { error: result.error.message } : {}),
    },
  ];
  if (result.pruned.length > 0) {
    events.push({
      ...base,
      id: randomUUID(),
      kind: "prune",
      result: result.pruned.some((object) => object.action === "failed") ? "failed" : "succeeded",
      objects: result.pruned.map(eventObject),
    });
  }
  const held = result.suspended
    ? [suspensionEvent({ ...result, kind: "suspend", ...result.suspended, commit: result.commit })]
    : [];
  return [...events, ...drift, ...held, ...rollbackEvents(result, base)];
}

/** rollbackEvents is the `rollback` entry of the controller's own rollback, after the failed commit's `apply`. */
function rollbackEvents(
  result: SyncResult,
  base: Omit<AuditEvent, "id" | "kind" | "result" | "objects">,
): AuditEvent[] {
  const rollback = result.rollback;
  if (rollback?.failedCommit === undefined) return [];
  return [
    {
      ...base,
      id: randomUUID(),
      kind: "rollback",
      result: result.status === "failed" ? "failed" : "succeeded",
      objects: [],
      actor: rollback.by,
      reason: `rolled back from ${rollback.failedCommit} to ${rollback.restoredCommit}; ${rollback.reason}`,
      ...(result.error ? { error: result.error.message } : {}),
    },
  ];
}

/**
 * suspensionEvent is the audit entry of a service suspended or resumed: who, when, why, and the landed commit it
 * held at.
 */
export function suspensionEvent(input: {
  readonly kind: "suspend" | "resume";
  readonly service: string;
  readonly repo: string;
  readonly trigger?: Trigger;
  readonly commit?: string | undefined;
  readonly by: Suspension["by"];
  readonly at: Suspension["at"];
  readonly reason?: string | undefined;
}): AuditEvent {
  return {
    id: randomUUID(),
    time: input.at,
    trigger: input.trigger ?? "manual",
    kind: input.kind,
    service: input.service,
    repo: input.repo,
    commit: input.commit ?? "",
    result: "succeeded",
    objects: [],
    durationMs: 0,
    actor: input.by,
    ...(input.reason ? { reason: input.reason } : {}),
  };
}

/** DRIFT_ACTIONS name what a reconcile did about a drifted object, by drift mode and what the server found. */
const DRIFT_ACTIONS = {
  correct: { configured: "corrected", created: "re-created" },
  report: { configured: "differs from git", created: "missing" },
} as const;

function driftEvents(result: SyncResult): AuditEvent[] {
  const drift = result.drift;
  if (!drift) return [];
  return drift.objects.map((object) => ({
    id: randomUUID(),
    time: drift.checkedAt,
    trigger: result.trigger,
    kind: "drift",
    service: result.service,
    repo: result.repo,
    commit: result.commit ?? "",
    result: result.status === "failed" ? "failed" : "succeeded",
    objects: [eventObject({ ...object, action: DRIFT_ACTIONS[drift.mode][object.action] })],
    durationMs: result.durationMs,
  }));
}

function eventObject(object: {
  kind: string;
  namespace?: string;
  name: string;
  action: string;
  message?: string;
}): AuditEvent["objects"][number] {
  return {
    kind: object.kind,
    name: object.name,
    action: object.action,
    ...(object.namespace ? { namespace: object.namespace } : {}),
    ...(object.message && object.action !== "deleted" ? { message: object.message } : {}),
  };
}

import type { SyncResult } from "../../record/result.js";
import type { HistoryEntry, RollbackRecord, Suspension } from "../../record/state/state.js";

/** SuspensionView is a suspension as the API shows it: who, when, why ("" when not said), and the commit held. */
export interface SuspensionView {
  readonly by: string;
  readonly at: string;
  readonly reason: string;
  /** The landed commit the service is held at, or "" when it had landed none. */
  readonly commit: string;
}

/**
 * RollbackView is the last rollback of a service: to which commit, from which, when, by whom and why;
 * `failed_commit`, only when the controller rolled back on its own, is the commit that failed to land.
 */
export interface RollbackView {
  readonly restored_commit: string;
  readonly from_commit: string;
  readonly failed_commit?: string;
  readonly at: string;
  readonly by: string;
  readonly reason: string;
}

/** suspensionView shows a suspension with every field present. */
export function suspensionView(suspension: Suspension): SuspensionView {
  return {
    by: suspension.by,
    at: suspension.at,
    reason: suspension.reason ?? "",
    commit: suspension.commit ?? "",
  };
}

/** rollbackView shows a rollback record with every field present. */
export function rollbackView(record: RollbackRecord): RollbackView {
  return {
    restored_commit: record.restoredCommit,
    from_commit: record.fromCommit ?? "",
    ...(record.failedCommit ? { failed_commit: record.failedCommit } : {}),
    at: record.at,
    by: record.by,
    reason: record.reason,
  };
}

/** historyView is one entry of `GET /v1/gitops/services/{name}/history`, as the state keeps it. */
export function historyView(entry: HistoryEntry): HistoryEntry {
  return {
    commit: entry.commit,
    time: entry.time,
    trigger: entry.trigger,
    objects: entry.objects,
    ...(entry.files ? { files: entry.files } : {}),
  };
}

/** rollbackResultView is what a waited-for rollback did: its status, each object applied or pruned, its error. */
export function rollbackResultView(result: SyncResult) {
  const object = (o: {
    apiVersion: string;
    kind: string;
    namespace?: string;
    name: string;
    action: string;
    message?: string;
  }) => ({
    apiVersion: o.apiVersion,
    kind: o.kind,
    namespace: o.namespace ?? "",
    name: o.name,
    action: o.action,
    ...(o.message ? { message: o.message } : {}),
  });
  return {
    status: result.status,
    started_at: result.startedAt,
    duration_ms: result.durationMs,
    objects: result.objects.map(object),
    pruned: result.pruned.map(object),
    error: result.error ?? null,
  };
}

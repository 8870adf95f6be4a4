import { summaryText } from "./chat-text.js";
import type { SyncSummary } from "./messages.js";
import type { Format } from "./notifier.js";

/**
 * genericFormat sends, per sync, `{event: "sync_completed", outcome, severity, …}` with the objects it touched,
 * and per service event `{event: "rolled_back" | "suspended" | "resumed", …}` with the same naming. A target with
 * `per_file` also gets the seed's per-file payload `{event: "manifest_applied", service_name, file_path, sha,
 * status, timestamp, error}` before each summary.
 */
export const genericFormat: Format = {
  type: "generic",
  render(n) {
    if (n.kind === "file") {
      return {
        event: "manifest_applied",
        service_name: n.service,
        file_path: n.path,
        sha: n.sha,
        status: n.status,
        timestamp: n.time,
        error: n.error ?? null,
        repo: n.repo,
        commit_id: n.commit,
      };
    }
    return {
      event: isServiceEvent(n) ? n.outcome : "sync_completed",
      outcome: n.outcome,
      severity: n.severity,
      message: summaryText(n),
      service_name: n.service,
      repo: n.repo,
      commit_id: n.commit,
      status: n.status,
      trigger: n.trigger,
      timestamp: n.time,
      duration_ms: n.durationMs,
      files_applied: n.applied,
      files_failed: n.failed,
      files_deleted: n.deleted,
      objects: n.objects,
      pruned: n.pruned,
      changes: n.changes,
      changes_total: n.changesTotal,
      ...(n.by !== undefined && { by: n.by }),
      ...(n.reason !== undefined && { reason: n.reason }),
      ...(n.failedCommit !== undefined && { failed_commit: n.failedCommit }),
      error: n.error ?? null,
    };
  },
};

function isServiceEvent(n: SyncSummary): boolean {
  return n.outcome === "rolled_back" || n.outcome === "suspended" || n.outcome === "resumed";
}

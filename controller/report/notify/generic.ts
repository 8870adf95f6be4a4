import type { Format } from "./notifier.js";

/**
 * genericFormat sends the seed's per-file payload `{event: "manifest_applied", service_name, file_path, sha, status,
 * timestamp, error}` and, per sync, `{event: "sync_completed", …}` with the same naming.
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
      event: "sync_completed",
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
      error: n.error ?? null,
    };
  },
};

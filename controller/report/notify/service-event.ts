import type { ServiceEvent, SyncSummary } from "./messages.js";
import { whatItDid } from "./sync-summary.js";

/**
 * serviceSummary is the one notification of a service event. It is an `error` when a commit failed (an automatic
 * rollback) or the rollback's own apply did, `info` when a person suspended, resumed or rolled back.
 */
export function serviceSummary(event: ServiceEvent, time: string): SyncSummary {
  const { result } = event;
  const failed = result?.status === "failed" || event.failedCommit !== undefined;
  return {
    kind: "summary",
    outcome: event.event,
    severity: failed ? "error" : "info",
    service: event.service,
    repo: event.repo,
    commit: event.commit ?? result?.commit ?? "",
    status: event.event,
    trigger: event.trigger ?? "manual",
    time,
    ...whatItDid(result),
    ...(event.by !== undefined && { by: event.by }),
    ...(event.reason !== undefined && { reason: event.reason }),
    ...(event.failedCommit !== undefined && { failedCommit: event.failedCommit }),
  };
}

import type { SyncResult } from "../../record/result.js";
import type { Trigger } from "../../record/state/state.js";
import type { SyncSummary } from "./notifier.js";
import { whatItDid } from "./sync-summary.js";

/**
 * ServiceEvent is something done to a service outside a sync: a rollback to a landed commit (by a person through
 * the API, or by the controller after a failed commit), a suspend or a resume.
 */
export interface ServiceEvent {
  readonly event: "rolled_back" | "suspended" | "resumed";
  readonly service: string;
  /** `owner/name@branch` */
  readonly repo: string;
  /** The commit the service is at after the event: a rollback's restored commit. */
  readonly commit?: string;
  /** What started it; `manual` (an API call) unless said. */
  readonly trigger?: Trigger;
  /** Who asked, when a person did. */
  readonly by?: string;
  readonly reason?: string;
  /** The commit a rollback moved away from, when one failed. */
  readonly failedCommit?: string;
  /** A rollback's re-apply: its objects are listed as a sync's are, and its failure makes the event an error. */
  readonly result?: SyncResult;
}

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

import type { SyncResult } from "./result.js";
import type { SuspendRequest, SuspensionChange } from "./suspension.js";

export type { SuspendRequest, SuspensionChange } from "./suspension.js";

/** RollbackAsk is a person's request to restore the set a service landed at `commit`: who asked, and why. */
export interface RollbackAsk {
  /** A commit of the service's history: its full SHA once the loop took the request. */
  readonly commit: string;
  readonly actor: string;
  readonly reason?: string;
}

/**
 * ControlRefusal is why the loop would not take a person's request: an unknown service or commit, a commit prefix
 * that names several, a replica that is not the leader (only the leader writes the state), a controller shutting
 * down, or a rollback of the service already under way.
 */
export interface ControlRefusal {
  readonly ok: false;
  readonly code: "not_found" | "invalid" | "not_leader" | "stopped" | "conflict";
  readonly reason: string;
}

/**
 * RollbackOutcome is how a rollback the loop took ended: it ran (`result` says whether it landed), or it never
 * ran to its end (the controller stopped, or lost the leader Lease, first), nothing of it recorded.
 */
export type RollbackOutcome =
  | { readonly status: "ran"; readonly result: SyncResult }
  | { readonly status: "not_run"; readonly reason: string };

/**
 * ServiceControl is what a person may ask of the loop for one service, through the HTTP API: suspend or resume it,
 * and roll it back to a landed commit. The loop implements it; the server only calls it.
 */
export interface ServiceControl {
  changeSuspension(
    kind: "suspend" | "resume",
    service: string,
    request: SuspendRequest,
  ): Promise<{ readonly ok: true; readonly change: SuspensionChange } | ControlRefusal>;
  /**
   * rollback queues a rollback to a commit of the service's history (a full SHA, or a prefix of 7 or more that
   * names one); `commit` is the full SHA, and `outcome` settles once the rollback ran (or could not run).
   */
  rollback(
    service: string,
    ask: RollbackAsk,
  ):
    | { readonly ok: true; readonly commit: string; readonly outcome: Promise<RollbackOutcome> }
    | ControlRefusal;
}

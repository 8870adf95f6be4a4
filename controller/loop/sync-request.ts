import type { RollbackAsk } from "../record/service-control.js";
import type { Trigger } from "../record/state/state.js";

/** SyncRequest asks for a sync: of everything, of one repository, or of one service. */
export interface SyncRequest {
  readonly trigger: Trigger;
  readonly repoKey?: string;
  readonly service?: string;
  /** rollback names the landed commit to restore, with the `rollback` trigger and a `service`. */
  readonly rollback?: RollbackAsk;
}

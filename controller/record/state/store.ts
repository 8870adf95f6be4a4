import { GitOpsError } from "../../../common/errors.js";
import type { ControllerState } from "./state.js";

/**
 * StateStore keeps the controller's state across restarts. `load` returns the empty state when nothing was saved
 * yet, and when what was saved cannot be read (it is kept aside, see state/parse-state.ts); it throws only when the
 * store itself cannot be reached. `save` replaces the whole state and throws StateStoreError when it could not be
 * written durably.
 */
export interface StateStore {
  readonly name: string;
  load(): Promise<ControllerState>;
  save(state: ControllerState): Promise<void>;
}

/** StateStoreError says the state could not be read or written; the sync that produced it is retried. */
export class StateStoreError extends GitOpsError {
  readonly code = "E_STATE";
}

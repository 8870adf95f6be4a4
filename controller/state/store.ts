import { GitOpsError } from "../../kube/errors.js";
import type { ControllerState } from "./state.js";

/**
 * StateStore keeps the controller's state across restarts. `load` returns the empty state when nothing was saved
 * yet; `save` replaces the whole state and throws StateStoreError when it could not be written durably.
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

/** parseState checks a stored document's shape loosely: a store written by a newer version is refused, not misread. */
export function parseState(text: string, where: string): ControllerState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error: unknown) {
    throw new StateStoreError(`${where}: not valid JSON; move it aside to start from an empty state`, {
      cause: error,
    });
  }
  const state = value as Partial<ControllerState>;
  if (state?.version !== 1 || typeof state.services !== "object" || !Array.isArray(state.events)) {
    throw new StateStoreError(
      `${where}: not a simple-gitops state (version 1); move it aside to start afresh`,
    );
  }
  return state as ControllerState;
}

import { GitOpsError } from "../../kube/errors.js";
import { type ControllerState, emptyServiceState, type ServiceState } from "./state.js";

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
  return {
    version: 1,
    services: Object.fromEntries(
      Object.entries(state.services ?? {}).map(([name, service]) => [name, withDefaults(service)]),
    ),
    repos: state.repos ?? {},
    events: state.events,
  };
}

/**
 * withDefaults fills what an older record lacks. Records written before whole-set syncs kept per-file objects and
 * configuration files; those are dropped, and their `objects` (a map then) read as none.
 */
function withDefaults(service: Partial<ServiceState>): ServiceState {
  const { configFiles: _configFiles, ...rest } = service as Partial<ServiceState> & { configFiles?: unknown };
  return {
    ...emptyServiceState(),
    ...rest,
    objects: Array.isArray(rest.objects) ? rest.objects : [],
  };
}

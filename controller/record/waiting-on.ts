import type { ServiceConfig } from "../config/types.js";
import type { ServiceState } from "./state/state.js";

/** WaitingOn is a dependency that holds a service back (`depends_on`), and why. */
export interface WaitingOn {
  readonly service: string;
  readonly reason: string;
}

const PRUNE_FAILED = "E_PRUNE";

// Enough of a dependency's error to say what is wrong; its own status has the whole message.
const MAX_REASON = 300;

/**
 * dependencyHolds names each dependency of a service that is not ready, from the recorded state: it has not landed
 * a set, its last sync failed (other than in its prune), or the controller rolled it back from its head. A suspended dependency counts with
 * the set it is held at: a person holds it there on purpose. Empty when the service may be applied.
 */
export function dependencyHolds(
  service: Pick<ServiceConfig, "dependsOn">,
  states: Readonly<Record<string, ServiceState | undefined>>,
): WaitingOn[] {
  return (service.dependsOn ?? []).flatMap((name): WaitingOn[] => {
    const reason = notReady(states[name]);
    return reason === undefined ? [] : [{ service: name, reason }];
  });
}

function notReady(state: ServiceState | undefined): string | undefined {
  // A prune that could not finish left the dependency's whole set landed and healthy: its dependents may go on, and
  // must, when what holds the prune is theirs to delete (custom resources of a CRD it prunes).
  if (state?.lastError && state.lastError.code !== PRUNE_FAILED) {
    const at = state.lastError.commit ? ` at commit ${state.lastError.commit.slice(0, 12)}` : "";
    const why = `${state.lastError.code}: ${state.lastError.message}`;
    return `failed${at}: ${why.length > MAX_REASON ? `${why.slice(0, MAX_REASON - 1)}…` : why}`;
  }
  const rolledBack = state?.rolledBack;
  if (rolledBack?.failedCommit)
    return `commit ${rolledBack.failedCommit.slice(0, 12)} failed to land and was rolled back to ${rolledBack.restoredCommit.slice(0, 12)}`;
  if (state?.commit === undefined) return "has not landed yet";
  return undefined;
}

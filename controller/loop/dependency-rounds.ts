import type { ServiceConfig } from "../config/types.js";
import type { Trigger } from "../record/state/state.js";
import { dependencyHolds, type WaitingOn } from "../record/waiting-on.js";
import type { ChosenService } from "../sync/repo-sync.js";
import type { Loop } from "./loop-state.js";

/** Round is one pass over the repositories in a run: the services chosen, by repository, in dependency order. */
export interface Round {
  readonly chosen: ReadonlyMap<string, readonly ChosenService[]>;
  /** The repositories of the round whose sync has not ended yet. */
  readonly unfinished: Set<string>;
}

/** startRound is a round of the chosen services, each repository's in dependency order (their config order else). */
export function startRound(
  chosen: ReadonlyMap<string, readonly ChosenService[]>,
  rank: ReadonlyMap<string, number>,
): Round {
  const order = (entry: ChosenService) => rank.get(entry.service.name) ?? 0;
  const sorted = new Map(
    [...chosen]
      .filter(([, services]) => services.length > 0)
      .map(([key, services]) => [key, [...services].sort((a, b) => order(a) - order(b))]),
  );
  return { chosen: sorted, unfinished: new Set(sorted.keys()) };
}

/**
 * waitingOnIn names what holds a service back in a round: each dependency that is not ready by the state (see
 * dependencyHolds), and each one chosen in the round from another repository whose sync has not ended (one in the
 * same repository went first, in dependency order).
 */
export function waitingOnIn(loop: Loop, round: Round, service: ServiceConfig): WaitingOn[] {
  const holds = dependencyHolds(service, loop.recorder.state().services);
  const syncing = [...round.chosen]
    .filter(([key]) => key !== service.repoKey && round.unfinished.has(key))
    .flatMap(([, services]) => services.map((entry) => entry.service.name));
  const inFlight = (service.dependsOn ?? [])
    .filter((name) => syncing.includes(name) && !holds.some((hold) => hold.service === name))
    .map((name) => ({ service: name, reason: "is being synced in this run" }));
  return [...holds, ...inFlight];
}

/**
 * readyDependents takes from the services held for their dependencies (by this run or an earlier one) those whose
 * dependencies are ready now and that are not suspended, by repository, with the trigger they were held with: a
 * dependency that landed starts its dependents in the same run.
 */
export function readyDependents(loop: Loop): Map<string, ChosenService[]> {
  const { config } = loop.deps;
  const states = loop.recorder.state().services;
  const ready = new Map<string, ChosenService[]>();
  for (const [name, trigger] of loop.dependents) {
    const service = config.services.find((candidate) => candidate.name === name);
    if (!service || states[name]?.suspended || dependencyHolds(service, states).length > 0) continue;
    loop.dependents.delete(name);
    ready.set(service.repoKey, [...(ready.get(service.repoKey) ?? []), { service, trigger }]);
  }
  return ready;
}

/** heldDependent remembers a service held for its dependencies, with the trigger that asked for it. */
export function heldDependent(loop: Loop, chosen: { service: ServiceConfig; trigger: Trigger }): void {
  loop.dependents.set(chosen.service.name, chosen.trigger);
}

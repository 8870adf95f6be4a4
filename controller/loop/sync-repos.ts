import { mapLimit } from "../../common/map-limit.js";
import { dependencyOrder } from "../config/dependencies.js";
import type { SyncResult } from "../record/result.js";
import { type ChosenService, syncRepository } from "../sync/repo-sync.js";
import { chooseServices, strongestTrigger } from "./choose-services.js";
import { worksOn } from "./claims.js";
import { heldDependent, type Round, readyDependents, startRound, waitingOnIn } from "./dependency-rounds.js";
import type { Loop } from "./loop-state.js";
import { repoSyncDeps } from "./repo-sync-deps.js";
import type { SyncRequest } from "./sync-request.js";

export { POLL_CONCURRENCY } from "./sync-slots.js";

/**
 * syncRepos polls every repository a batch asks for and syncs the services it asks for, logging each poll's
 * outcome and telling `onPoll`. A service whose dependencies are not ready is held (see heldByDependencies); once a
 * round of the repositories ends, the held services whose dependencies landed meanwhile run in a further round of
 * the same run, their repositories read again. Results keep the config's order within each round.
 */
export async function syncRepos(
  loop: Loop,
  batch: readonly SyncRequest[],
  includeScheduled: boolean,
  signal: AbortSignal,
): Promise<SyncResult[]> {
  const { config } = loop.deps;
  const rank = dependencyOrder(config.services.map((s) => ({ name: s.name, dependsOn: s.dependsOn ?? [] })));
  const services = loop.recorder.state().services;
  // Another controller's service is left out like a suspended one: not even its files are read here.
  const held = (name: string) => services[name]?.suspended !== undefined || !worksOn(loop, name);
  let chosen = new Map(
    config.repos.map((repo) => [
      repo.key,
      chooseServices(config.services, batch, repo.key, includeScheduled, held),
    ]),
  );
  const results: SyncResult[] = [];
  // Each further round starts at least one service whose dependencies landed in the one before: a bound, not a loop.
  for (let rounds = 0; chosen.size > 0 && rounds <= config.services.length; rounds++) {
    results.push(...(await syncRound(loop, startRound(chosen, rank), signal)));
    chosen = readyDependents(loop);
  }
  return results;
}

/** syncRound polls the round's repositories side by side and syncs their chosen services in the pool. */
async function syncRound(loop: Loop, round: Round, signal: AbortSignal): Promise<SyncResult[]> {
  const { config, clock, log } = loop.deps;
  const deps = {
    ...repoSyncDeps(loop, signal),
    waitingOn: (name: string) => {
      const service = config.services.find((candidate) => candidate.name === name);
      return service ? waitingOnIn(loop, round, service) : [];
    },
    onHeld: (held: ChosenService) => heldDependent(loop, held),
  };
  for (const services of round.chosen.values())
    for (const entry of services) loop.dependents.delete(entry.service.name);
  // Every repository starts at once: its read waits for a read slot, its services for slots of the one pool of
  // service syncs (see syncSlots), so a repository whose read hangs or whose service waits for health holds back
  // no other, and none waits for another repository to end. mapLimit still waits for all before it settles.
  const perRepo = await mapLimit(config.repos, config.repos.length, async (repo): Promise<SyncResult[]> => {
    const chosen = round.chosen.get(repo.key) ?? [];
    if (chosen.length === 0) return [];
    const trigger = strongestTrigger(chosen.map((entry) => entry.trigger)) ?? "poll";
    const pollStarted = clock.now();
    const repoResults = await syncRepository(
      { repo, services: chosen, states: loop.recorder.state().services },
      deps,
    ).finally(() => round.unfinished.delete(repo.key));
    const outcome = {
      repoKey: repo.key,
      status: pollStatus(repoResults),
      durationMs: clock.now() - pollStarted,
    };
    log[POLL_LEVEL[outcome.status]](
      { repo: `${repo.owner}/${repo.name}@${repo.branch}`, trigger, ...outcome },
      `poll: ${outcome.status}`,
    );
    loop.deps.onPoll?.(outcome);
    return repoResults;
  });
  return perRepo.flat();
}

// A poll that found nothing new is the common case at rest: at info, its line was some 9 % of an idle process's CPU
// (docs/performance.md, issue 32); the request's metrics still count it.
const POLL_LEVEL = { failed: "warn", changed: "info", unchanged: "debug" } as const;

/** pollStatus sums up one repository's poll: a source failure, no change, or something to apply. */
function pollStatus(results: readonly SyncResult[]): "changed" | "unchanged" | "failed" {
  if (results.some((result) => result.status === "failed" && result.error?.code.startsWith("E_SOURCE")))
    return "failed";
  return results.every((result) => result.status === "unchanged") ? "unchanged" : "changed";
}

import { mapLimit } from "../../common/map-limit.js";
import type { SyncResult } from "../record/result.js";
import { syncRepository } from "../sync/repo-sync.js";
import { chooseServices, strongestTrigger } from "./choose-services.js";
import type { Loop } from "./loop-state.js";
import { repoSyncDeps } from "./repo-sync-deps.js";
import type { SyncRequest } from "./sync-request.js";

/** POLL_CONCURRENCY bounds how many repositories are polled (and their services synced) at the same time. */
export const POLL_CONCURRENCY = 8;

/**
 * syncRepos polls every repository a batch asks for and syncs the services it asks for, logging each poll's
 * outcome and telling `onPoll`. Results keep the config's order.
 */
export async function syncRepos(
  loop: Loop,
  batch: readonly SyncRequest[],
  includeScheduled: boolean,
  signal: AbortSignal,
): Promise<SyncResult[]> {
  const { config, clock, log } = loop.deps;
  const deps = repoSyncDeps(loop, signal);
  // Repositories are polled side by side, a few at a time: one whose poll hangs (GitHub slow for it, a long
  // health wait) does not hold back the others.
  const perRepo = await mapLimit(config.repos, POLL_CONCURRENCY, async (repo): Promise<SyncResult[]> => {
    const services = loop.recorder.state().services;
    const suspended = (name: string) => services[name]?.suspended !== undefined;
    const chosen = chooseServices(config.services, batch, repo.key, includeScheduled, suspended);
    if (chosen.length === 0) return [];
    const trigger = strongestTrigger(chosen.map((entry) => entry.trigger)) ?? "poll";
    const pollStarted = clock.now();
    const repoResults = await syncRepository(
      { repo, services: chosen, states: loop.recorder.state().services },
      deps,
    );
    const outcome = {
      repoKey: repo.key,
      status: pollStatus(repoResults),
      durationMs: clock.now() - pollStarted,
    };
    log[outcome.status === "failed" ? "warn" : "info"](
      { repo: `${repo.owner}/${repo.name}@${repo.branch}`, trigger, ...outcome },
      `poll: ${outcome.status}`,
    );
    loop.deps.onPoll?.(outcome);
    return repoResults;
  });
  return perRepo.flat();
}

/** pollStatus sums up one repository's poll: a source failure, no change, or something to apply. */
function pollStatus(results: readonly SyncResult[]): "changed" | "unchanged" | "failed" {
  if (results.some((result) => result.status === "failed" && result.error?.code.startsWith("E_SOURCE")))
    return "failed";
  return results.every((result) => result.status === "unchanged") ? "unchanged" : "changed";
}

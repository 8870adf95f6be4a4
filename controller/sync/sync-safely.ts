import type { ObjectRef } from "../desired/render/types.js";
import type { ServiceState } from "../record/state/state.js";
import type { ServiceFiles } from "../source/source.js";
import { attemptNote } from "./backoff.js";
import { describeError, failedOutcome } from "./repo-outcomes.js";
import type { ChosenService, RepoRun, ServiceOutcome } from "./repo-run.js";
import { syncService } from "./service-sync.js";

/**
 * syncSafely syncs one service at `commit`, saying first that it starts and why. An error that escapes the sync
 * fails this service, not the loop, unless the run was aborted: then the abort goes on up. `remove` is what a
 * rollback deletes whatever `prune` says (see ServiceSyncInput).
 */
export async function syncSafely(
  run: RepoRun,
  chosen: ChosenService,
  commit: string,
  files: ServiceFiles,
  state: ServiceState,
  remove?: readonly ObjectRef[],
): Promise<ServiceOutcome> {
  const { deps } = run;
  const { service, trigger } = chosen;
  deps.onSyncStart?.({ service: service.name, repoKey: run.input.repo.key, commit, trigger });
  const note = attemptNote(state, commit, trigger);
  if (note !== undefined)
    deps.log.info({ service: service.name, commit, trigger, failures: state.failures }, note);
  try {
    const input = { service, repo: run.input.repo, commit, files, state, trigger };
    return await syncService(remove ? { ...input, remove } : input, deps);
  } catch (error: unknown) {
    if (deps.signal?.aborted) throw deps.signal.reason;
    // An applyer that cannot run at all (none of the chain available) fails this service, not the loop.
    return failedOutcome(run, chosen, state, describeError(error), commit);
  }
}

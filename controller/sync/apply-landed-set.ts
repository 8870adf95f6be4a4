import type { ObjectRef } from "../desired/render/types.js";
import type { ServiceState } from "../record/state/state.js";
import { describeError, failedOutcome } from "./repo-outcomes.js";
import { type ChosenService, type RepoRun, type ServiceOutcome, stateOf } from "./repo-run.js";
import { syncSafely } from "./sync-safely.js";

/**
 * applyLandedSet makes the cluster match the set a service landed at `commit`, whatever the branch's head: the
 * service's files read at that commit (by the known SHAs from the blob cache when it is the landed commit), the whole
 * set applied and waited for like any sync, and every object of the inventory the set lacks pruned, so what newer
 * commits added goes. It returns the outcome unrecorded: a rollback says what it means (a person's, held by a
 * suspension; an automatic one after a failed commit) before it is recorded. `from` is the state to start from when
 * it is not the run's (a failed sync just recorded), with what to delete even with `prune` off.
 */
export async function applyLandedSet(
  run: RepoRun,
  chosen: ChosenService,
  commit: string,
  from?: { readonly state: ServiceState; readonly remove: readonly ObjectRef[] },
): Promise<ServiceOutcome> {
  const { service } = chosen;
  const state = from?.state ?? stateOf(run, service.name);
  const files = await run.deps.source.read({
    repository: run.repository,
    service: { name: service.name, dir: service.dir },
    files: state.files,
    ...(commit === state.commit ? {} : { commit }),
  });
  if (!files.ok) return failedOutcome(run, chosen, state, describeError(files.error), commit);
  return syncSafely(run, chosen, commit, files, state, from?.remove);
}

import type { RollbackAsk } from "../record/service-control.js";
import type { Suspension } from "../record/state/state.js";
import { applyLandedSet } from "./apply-landed-set.js";
import { type ChosenService, type RepoRun, recordOutcome, stateOf } from "./repo-run.js";
import { whileClaimed } from "./while-claimed.js";

/**
 * rollBack restores the set a service landed at the commit a person chose (see applyLandedSet) and, once it landed
 * and is healthy, records the service as rolled back and suspends it at that commit, so the next poll does not put
 * the head back; resuming it lets git win again. A rollback that fails is recorded as the service's failure, with
 * who asked, and suspends nothing.
 */
export async function rollBack(
  run: RepoRun,
  chosen: ChosenService & { rollback: RollbackAsk },
): Promise<void> {
  await whileClaimed(run, chosen, () => restore(run, chosen));
}

async function restore(run: RepoRun, chosen: ChosenService & { rollback: RollbackAsk }): Promise<void> {
  const { commit, actor } = chosen.rollback;
  const before = stateOf(run, chosen.service.name);
  const outcome = await applyLandedSet(run, chosen, commit);
  const result = { ...outcome.result, actor };
  if (result.status === "failed") {
    await recordOutcome(run, { result, state: outcome.state });
    return;
  }
  const at = new Date(run.deps.clock.now()).toISOString();
  const reason = `rolled back to ${commit}${chosen.rollback.reason ? `: ${chosen.rollback.reason}` : ""}`;
  const suspended: Suspension = { by: actor, at, reason, commit };
  const rolledBack = {
    restoredCommit: commit,
    ...(before.commit ? { fromCommit: before.commit } : {}),
    at,
    by: actor,
    reason,
  };
  await recordOutcome(run, {
    result: { ...result, suspended, rollback: rolledBack },
    state: { ...outcome.state, suspended, rolledBack },
  });
}

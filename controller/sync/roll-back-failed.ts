import { type ObjectRef, refKey } from "../desired/render/types.js";
import type { SyncResult } from "../record/result.js";
import type { RollbackRecord, ServiceState } from "../record/state/state.js";
import type { ServiceFiles } from "../source/source.js";
import { applyLandedSet } from "./apply-landed-set.js";
import { type ChosenService, type RepoRun, recordOutcome, type ServiceOutcome } from "./repo-run.js";
import { syncSafely } from "./sync-safely.js";

/** ROLLBACK_BY names the controller as who rolled a service back, where a person's rollback names them. */
export const ROLLBACK_BY = "simple-gitops";

// What a failed commit did to the cluster: an object refused, or a workload not healthy in time. A commit that could
// not be read or rendered applied nothing, so there is nothing to roll back.
const ROLLED_BACK_CODES = new Set(["E_APPLY", "E_UNHEALTHY"]);

/**
 * syncOrRollBack syncs a service at a new commit and records the outcome. When that commit's set fails to land and
 * the service says `on_failure: rollback`, the failed sync is recorded first (what it applied joins the inventory, so
 * a crash from here on is retried rather than forgotten), then its last landed set is restored (see rollBackFailed).
 */
export async function syncOrRollBack(
  run: RepoRun,
  chosen: ChosenService,
  commit: string,
  files: ServiceFiles,
  state: ServiceState,
): Promise<void> {
  const outcome = await syncSafely(run, chosen, commit, files, state);
  const restore = rollbackTarget(run, chosen, state, outcome.result);
  if (restore === undefined) {
    await recordOutcome(run, outcome);
    return;
  }
  await recordOutcome(run, { ...outcome, result: { ...outcome.result, rollingBack: true } });
  await rollBackFailed(run, chosen, outcome, restore);
}

/** rollbackTarget is the landed commit to go back to after `result`, or undefined when the service holds. */
function rollbackTarget(
  run: RepoRun,
  chosen: ChosenService,
  before: ServiceState,
  result: SyncResult,
): string | undefined {
  if (chosen.service.onFailure !== "rollback" || run.deps.dryRun || result.status !== "failed")
    return undefined;
  if (!ROLLED_BACK_CODES.has(result.error?.code ?? "")) return undefined;
  return before.commit !== undefined && before.commit !== result.commit ? before.commit : undefined;
}

/**
 * rollBackFailed applies the service's last landed set again after `failed` (see applyLandedSet), deleting what
 * failed syncs created that the set lacks, whatever `prune` says, and letting go of what they only found and changed
 * (it was not ours before, and the re-apply puts back what the set says of it). Landed and healthy, the service is
 * recorded `rolled_back`; otherwise the rollback's failure is recorded (`E_ROLLBACK_FAILED`) and the service holds:
 * the failed commit is retried after its backoff.
 */
async function rollBackFailed(
  run: RepoRun,
  chosen: ChosenService,
  failed: ServiceOutcome,
  restore: string,
): Promise<void> {
  const failedCommit = failed.result.commit ?? "";
  const why = failed.result.error ?? { code: "E_SYNC", message: "sync failed" };
  const reason = `${why.code}: ${why.message}`;
  run.deps.log.warn(
    { service: chosen.service.name, failedCommit, restoredCommit: restore },
    `commit ${failedCommit} failed (${why.code}); rolling back to ${restore}`,
  );
  const added = failed.state.addedByFailures ?? [];
  const found = new Set(added.filter((object) => !object.created).map(refKey));
  const from = {
    state: { ...failed.state, inventory: failed.state.inventory.filter((ref) => !found.has(refKey(ref))) },
    remove: added.filter((object) => object.created).map(plainRef),
  };
  const rollback: RollbackRecord = {
    restoredCommit: restore,
    fromCommit: failedCommit,
    failedCommit,
    at: new Date(run.deps.clock.now()).toISOString(),
    by: ROLLBACK_BY,
    reason,
  };
  const outcome = await applyLandedSet(run, { ...chosen, trigger: "rollback" }, restore, from);
  if (outcome.result.status !== "failed") {
    await recordOutcome(run, {
      result: { ...outcome.result, rollback },
      state: { ...outcome.state, rolledBack: rollback },
    });
    return;
  }
  const error = {
    code: "E_ROLLBACK_FAILED",
    message: `commit ${failedCommit} failed (${why.code}) and the rollback to ${restore} did not land either: ${outcome.result.error?.message ?? "see the status API"}`,
  };
  await recordOutcome(run, {
    result: { ...outcome.result, rollback, error },
    // The failed commit's backoff and failure count stand: it is what is retried, as with on_failure: hold.
    state: {
      ...outcome.state,
      failures: failed.state.failures,
      retryAfter: failed.state.retryAfter,
      lastError: { ...error, at: rollback.at, commit: failedCommit },
    },
  });
}

function plainRef({ apiVersion, kind, namespace, name }: ObjectRef): ObjectRef {
  return { apiVersion, kind, ...(namespace ? { namespace } : {}), name };
}

import type { SyncResult } from "../record/result.js";
import type { KnownState, PollResult } from "../source/source.js";
import { knownForPoll } from "./backoff.js";
import { eachService } from "./each-service.js";
import { recordPollFailure } from "./record-poll-failure.js";
import { type RepoRun, type RepoSyncDeps, type RepoSyncInput, startRepoRun, stateOf } from "./repo-run.js";
import { rollBack } from "./roll-back.js";
import { syncChangedHead } from "./sync-changed-head.js";
import { syncLanded } from "./sync-landed.js";
import { syncUnchangedHead } from "./sync-unchanged-head.js";

export type { ChosenService, RepoSyncDeps, RepoSyncInput, SyncStart } from "./repo-run.js";

/**
 * syncRepository syncs the chosen services of one repository and branch. It polls the branch once for all of them,
 * then syncs each service whose set needs applying, side by side in the pool of service syncs (each-service.ts): a file of it changed, it has not landed
 * yet (never synced, or its last sync failed, health included), or a person or its reconcile interval asked. A
 * service none of whose files changed at a new commit is recorded at that commit without applying anything. When
 * only reconciles were asked for, nothing is polled: each landed set is applied again from the blob cache. A
 * service that fails is recorded with its error and retried after a backoff; the others keep going. The backoff
 * holds back only the failed commit: the branch is still polled, and a new head is applied at once. A service a
 * person asked to roll back is restored first, at its own commit (roll-back.ts), and is not polled in the same run.
 */
export async function syncRepository(input: RepoSyncInput, deps: RepoSyncDeps): Promise<SyncResult[]> {
  // A rollback reads its own commit, not the head: it runs first, and its service is not polled in this run.
  const run = startRepoRun({ ...input, services: input.services.filter((chosen) => !chosen.rollback) }, deps);
  const rollbacks = input.services.flatMap(({ rollback, ...chosen }) =>
    rollback ? [{ ...chosen, rollback }] : [],
  );
  await eachService(run, rollbacks, rollBack);
  if (run.input.services.length === 0) return run.results;
  if (run.input.services.every(({ trigger }) => trigger === "reconcile")) {
    // A service whose last sync failed is retried by polls, at the head; re-applying its older set would undo it.
    const landed = run.input.services.filter((chosen) => !stateOf(run, chosen.service.name).lastError);
    await eachService(run, landed, syncLanded);
    return run.results;
  }
  const { known, held } = knownForPoll(run.input.services, (name) => stateOf(run, name), run.started);
  const inReadSlot = deps.inReadSlot ?? ((read) => read());
  const poll = await inReadSlot(() => pollRepository(run, known));
  if (poll.status === "failed") {
    await recordPollFailure(run, poll);
    return run.results;
  }
  deps.wait?.(run.input.repo.key, undefined);
  if (poll.status === "unchanged") await syncUnchangedHead(run, poll.commit, held);
  else await syncChangedHead(run, poll, held);
  return run.results;
}

/** pollRepository reads the head of the branch for the chosen services; a poll that throws is a failed poll. */
async function pollRepository(
  run: RepoRun,
  known: Readonly<Record<string, KnownState>>,
): Promise<PollResult> {
  try {
    return await run.deps.source.poll({
      repository: run.repository,
      services: run.input.services.map(({ service }) => ({ name: service.name, dir: service.dir })),
      known,
    });
  } catch (error: unknown) {
    return { status: "failed", changed: false, error: error as never, services: [] };
  }
}

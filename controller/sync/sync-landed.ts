import { type ChosenService, type RepoRun, recordOutcome, stateOf } from "./repo-run.js";
import { syncSafely } from "./sync-safely.js";
import { whileClaimed } from "./while-claimed.js";

/** syncLanded applies a service's landed set again, at its landed commit, from the blob cache. */
export async function syncLanded(run: RepoRun, chosen: ChosenService): Promise<void> {
  await whileClaimed(run, chosen, async () => {
    const { service } = chosen;
    const state = stateOf(run, service.name);
    if (state.commit === undefined) return;
    const files = await run.deps.source.read({
      repository: run.repository,
      service: { name: service.name, dir: service.dir },
      files: state.files,
    });
    if (!files.ok) {
      // The landed set is still what runs; a reconcile that cannot read it is not a failure of the service.
      run.deps.log.warn({ service: service.name, code: files.error.code }, files.error.message);
      return;
    }
    await recordOutcome(run, await syncSafely(run, chosen, state.commit, files, state));
  });
}

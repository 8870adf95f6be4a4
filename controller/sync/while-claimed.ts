import type { ChosenService, RepoRun } from "./repo-run.js";

/**
 * whileClaimed runs one service's part of a repository's sync while the loop knows it is under way (see
 * RepoSyncDeps.claim): a service suspended since its run began is skipped, and a suspend waits for the part already
 * going to end, so nothing is applied to a service once its suspension is answered.
 */
export async function whileClaimed(
  run: RepoRun,
  chosen: ChosenService,
  work: () => Promise<void>,
): Promise<void> {
  const release = run.deps.claim ? run.deps.claim(chosen.service.name, chosen.trigger) : () => {};
  if (release === undefined) {
    run.deps.log.info(
      { service: chosen.service.name, trigger: chosen.trigger },
      `service ${chosen.service.name} was suspended or handed to another controller since this run began; nothing applied`,
    );
    return;
  }
  try {
    await work();
  } finally {
    release();
  }
}

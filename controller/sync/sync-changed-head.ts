import type { PollChanged } from "../source/source.js";
import { eachService } from "./each-service.js";
import { heldBack } from "./held-back.js";
import { heldByDependencies } from "./held-by-dependencies.js";
import { needsApply } from "./needs-apply.js";
import { clearedSourceError, describeError, failedOutcome } from "./repo-outcomes.js";
import { type RepoRun, recordOutcome, stateOf } from "./repo-run.js";
import { syncOrRollBack } from "./roll-back-failed.js";
import { whileClaimed } from "./while-claimed.js";

/**
 * syncChangedHead handles a poll that read a new head: each chosen service is failed when its directory could not
 * be read, recorded at the head when nothing of it needs applying, left as it is while a dependency is not ready,
 * and synced otherwise (rolled back when that fails and it says so), side by side (see eachService).
 */
export async function syncChangedHead(
  run: RepoRun,
  poll: PollChanged,
  held: Readonly<Record<string, string>>,
): Promise<void> {
  const files = new Map(poll.services.map((read) => [read.service, read]));
  const services = poll.services.flatMap(({ service: name }) =>
    run.input.services.filter(({ service }) => service.name === name),
  );
  await eachService(run, services, async (own, chosen) => {
    const read = files.get(chosen.service.name);
    if (read === undefined || heldBack(own, held, chosen.service.name, poll.commit)) return;
    await whileClaimed(own, chosen, async () => {
      const state = stateOf(own, chosen.service.name);
      if (!read.ok) {
        await recordOutcome(own, failedOutcome(own, chosen, state, describeError(read.error), poll.commit));
      } else if (!needsApply(read, state, chosen.trigger)) {
        await recordOutcome(own, clearedSourceError(own, chosen, poll.commit, state));
      } else if (!heldByDependencies(own, chosen, poll.commit)) {
        await syncOrRollBack(own, chosen, poll.commit, read, state);
      }
    });
  });
}

import type { PollChanged } from "../source/source.js";
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
 * and synced otherwise (rolled back when that fails and it says so), one after the other.
 */
export async function syncChangedHead(
  run: RepoRun,
  poll: PollChanged,
  held: Readonly<Record<string, string>>,
): Promise<void> {
  for (const files of poll.services) {
    const chosen = run.input.services.find(({ service }) => service.name === files.service);
    if (!chosen || heldBack(run, held, chosen.service.name, poll.commit)) continue;
    await whileClaimed(run, chosen, async () => {
      const state = stateOf(run, chosen.service.name);
      if (!files.ok) {
        await recordOutcome(run, failedOutcome(run, chosen, state, describeError(files.error), poll.commit));
      } else if (!needsApply(files, state, chosen.trigger)) {
        await recordOutcome(run, clearedSourceError(run, chosen, poll.commit, state));
      } else if (!heldByDependencies(run, chosen, poll.commit)) {
        await syncOrRollBack(run, chosen, poll.commit, files, state);
      }
    });
  }
}

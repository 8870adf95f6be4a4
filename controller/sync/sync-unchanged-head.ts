import { eachService } from "./each-service.js";
import { heldBack } from "./held-back.js";
import { isForced, isSourceErrorOnly } from "./needs-apply.js";
import { clearedSourceError, unchangedResult } from "./repo-outcomes.js";
import { type RepoRun, recordOutcome, stateOf } from "./repo-run.js";
import { syncLanded } from "./sync-landed.js";

/**
 * syncUnchangedHead handles a poll whose head did not move: a service held only by a source error is cleared, one
 * forced or whose last apply failed is applied again, and the others are announced unchanged without a save; side
 * by side (see eachService).
 */
export async function syncUnchangedHead(
  run: RepoRun,
  head: string,
  held: Readonly<Record<string, string>>,
): Promise<void> {
  await eachService(run, run.input.services, async (own, chosen) => {
    const state = stateOf(own, chosen.service.name);
    if (heldBack(own, held, chosen.service.name, head)) return;
    if (!isForced(chosen.trigger) && isSourceErrorOnly(state, head))
      await recordOutcome(own, clearedSourceError(own, chosen, head, state));
    else if (isForced(chosen.trigger) || state.lastError) await syncLanded(own, chosen);
    else {
      const result = unchangedResult(own, chosen, head);
      own.deps.announce(result);
      own.results.push(result);
    }
  });
}

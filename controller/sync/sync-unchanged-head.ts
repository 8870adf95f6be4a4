import { heldBack } from "./held-back.js";
import { isForced, isSourceErrorOnly } from "./needs-apply.js";
import { clearedSourceError, unchangedResult } from "./repo-outcomes.js";
import { type RepoRun, recordOutcome, stateOf } from "./repo-run.js";
import { syncLanded } from "./sync-landed.js";

/**
 * syncUnchangedHead handles a poll whose head did not move: a service held only by a source error is cleared, one
 * forced or whose last apply failed is applied again, and the others are announced unchanged without a save.
 */
export async function syncUnchangedHead(
  run: RepoRun,
  head: string,
  held: Readonly<Record<string, string>>,
): Promise<void> {
  for (const chosen of run.input.services) {
    const state = stateOf(run, chosen.service.name);
    if (heldBack(run, held, chosen.service.name, head)) continue;
    if (!isForced(chosen.trigger) && isSourceErrorOnly(state, head))
      await recordOutcome(run, clearedSourceError(run, chosen, head, state));
    else if (isForced(chosen.trigger) || state.lastError) await syncLanded(run, chosen);
    else {
      const result = unchangedResult(run, chosen, head);
      run.deps.announce(result);
      run.results.push(result);
    }
  }
}

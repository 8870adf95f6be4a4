import type { Candidate } from "./candidate.js";
import { fireHook } from "./fire-hook.js";
import { releaseLease } from "./release-lease.js";

/**
 * stepDown ends a leader's term when its campaign was stopped: it releases the Lease unless told not to (a crash
 * leaves it to expire), then stops leading and calls onStoppedLeading. A follower has nothing to give up.
 */
export async function stepDown(candidate: Candidate, release: boolean): Promise<void> {
  const { standing, log, context } = candidate;
  if (!standing.leading) return;
  if (release) await releaseLease(candidate);
  standing.leading = false;
  log.info(context, "stopped leading");
  fireHook(candidate, "onStoppedLeading");
}

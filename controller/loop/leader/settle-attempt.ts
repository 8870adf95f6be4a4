import type { Candidate } from "./candidate.js";
import { fireHook } from "./fire-hook.js";
import type { LeaseOutcome } from "./lease.js";

/**
 * settleAttempt updates the candidate's standing from what an attempt started at `started` returned: it leads, it
 * follows (a leader that sees another holder stops leading at once), or the attempt failed (a leader stops only at
 * its renew deadline).
 */
export function settleAttempt(candidate: Candidate, outcome: LeaseOutcome, started: number): void {
  const { standing, log, context, renewDeadlineMs } = candidate;
  if (outcome.kind === "leading") {
    standing.lease = outcome.lease;
    // The renewal is only as recent as the moment it was sent: the deadline counts from there.
    standing.lastRenew = started;
    if (!standing.leading) {
      standing.leading = true;
      log.info(context, "became leader");
      fireHook(candidate, "onStartedLeading");
    }
  } else if (outcome.kind === "following") {
    standing.lease = outcome.lease ?? standing.lease;
    if (standing.leading)
      lose(candidate, `the Lease is now held by ${outcome.holder ?? "another candidate"}`);
  } else {
    log.warn({ ...context, reason: outcome.message }, "leader election attempt failed");
    if (standing.leading && candidate.clock.monotonic() >= standing.lastRenew + renewDeadlineMs) {
      lose(candidate, `no renewal within the ${renewDeadlineMs} ms renew deadline: ${outcome.message}`);
    }
  }
}

function lose(candidate: Candidate, reason: string): void {
  candidate.standing.leading = false;
  candidate.log.warn({ ...candidate.context, reason }, "lost leadership");
  fireHook(candidate, "onStoppedLeading");
}

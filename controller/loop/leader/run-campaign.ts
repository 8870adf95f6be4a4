import { attemptLease } from "./attempt-lease.js";
import { boundAttempt } from "./bound-attempt.js";
import { type Candidate, LEADER_JITTER } from "./candidate.js";
import type { LeaseOutcome } from "./lease.js";
import { settleAttempt } from "./settle-attempt.js";

/**
 * runCampaign attempts to lead every retry period until `signal` aborts. A leader's attempt gets what is left of
 * its renew deadline, and its pause never outlasts that deadline; a follower's pause is jittered.
 */
export async function runCampaign(candidate: Candidate, signal: AbortSignal): Promise<void> {
  const { clock, standing, renewDeadlineMs, retryPeriodMs } = candidate;
  while (!signal.aborted) {
    const started = clock.monotonic();
    const budget = standing.leading ? standing.lastRenew + renewDeadlineMs - started : renewDeadlineMs;
    const outcome: LeaseOutcome =
      budget <= 0
        ? { kind: "error", message: "renew deadline passed" }
        : await boundAttempt(clock, attemptLease(candidate, started), budget);
    settleAttempt(candidate, outcome, started);
    if (signal.aborted) break;
    const pause = standing.leading
      ? Math.min(retryPeriodMs, Math.max(0, standing.lastRenew + renewDeadlineMs - clock.monotonic()))
      : retryPeriodMs * (1 + LEADER_JITTER * candidate.random());
    await clock.sleep(pause, signal);
  }
}

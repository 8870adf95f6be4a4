import type { LeaderClock } from "./leader-clock.js";
import type { LeaseOutcome } from "./lease.js";

/**
 * boundAttempt turns an attempt that throws into an error outcome, and one with no answer within `ms` into one too:
 * a hung request must not keep a leader leading past its deadline, nor stall a candidate forever.
 */
export async function boundAttempt(
  clock: LeaderClock,
  work: Promise<LeaseOutcome>,
  ms: number,
): Promise<LeaseOutcome> {
  const timer = new AbortController();
  const timeout = clock
    .sleep(Math.max(0, ms), timer.signal)
    .then((): LeaseOutcome => ({ kind: "error", message: `no answer from the apiserver within ${ms} ms` }));
  const failed = work.catch(
    (error: unknown): LeaseOutcome => ({ kind: "error", message: (error as Error).message }),
  );
  try {
    return await Promise.race([failed, timeout]);
  } finally {
    timer.abort();
  }
}

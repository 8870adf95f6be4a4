import { setTimeout as delay } from "node:timers/promises";
import { timerDelay } from "../../../common/timer-delay.js";

/**
 * LeaderClock is the time source of the elector. `sleep` resolves after `ms`, or early when `signal` aborts, so
 * that `stop()` does not wait out a retry period; a clock that ignores the signal (common/clock.ts) also works.
 */
export interface LeaderClock {
  /** now is wall-clock time, written into the Lease (`renewTime`) for people and other candidates to read. */
  now(): number;
  /** monotonic times the renew deadline and a Lease's expiry: a wall-clock step must not extend or end either. */
  monotonic(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** systemLeaderClock is the production {@link LeaderClock}. */
export const systemLeaderClock: LeaderClock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  sleep: (ms, signal) => delay(timerDelay(ms), undefined, { signal }).catch(() => undefined),
};

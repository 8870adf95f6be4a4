import { type LeaseClock, systemLeaseClock } from "../../../common/clock.js";

/**
 * LeaderClock is the time source of the elector (common/clock.ts LeaseClock). `sleep` resolves after `ms`, or early
 * when `signal` aborts, so that `stop()` does not wait out a retry period; a clock that ignores the signal also works.
 */
export type LeaderClock = LeaseClock;

/** systemLeaderClock is the production {@link LeaderClock}. */
export const systemLeaderClock: LeaderClock = systemLeaseClock;

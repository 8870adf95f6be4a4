/**
 * MAX_TIMER_DELAY_MS is the longest delay Node's timers hold, 2^31 - 1 ms (about 24.8 days). A longer one is not
 * refused: Node fires it after 1 ms (https://nodejs.org/api/timers.html#settimeoutcallback-delay-args).
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * timerDelay is the delay to hand to setTimeout, AbortSignal.timeout or timers/promises for a wait of `ms`: a wait
 * longer than {@link MAX_TIMER_DELAY_MS} (Infinity included) is cut to it, so it ends 24.8 days on instead of at
 * once; a negative or NaN wait is 0, as Node itself reads it.
 */
export function timerDelay(ms: number): number {
  if (!(ms > 0)) return 0;
  return Math.min(ms, MAX_TIMER_DELAY_MS);
}

import type { Loop } from "./loop-state.js";
import type { Scheduler } from "./scheduler.js";

/**
 * stopLoop ends the scheduler's timers and waits up to `graceMs` for the run in progress; past that it aborts the
 * run and waits for it to stop, so nothing is written once it resolves.
 */
export async function stopLoop(
  loop: Loop,
  scheduler: Scheduler<unknown>,
  graceMs: number,
): Promise<{ abandoned: boolean }> {
  const { abandoned } = await scheduler.stop(graceMs);
  if (abandoned) {
    loop.state.inFlight?.abort(new Error("shutting down"));
    // Aborted calls end at once; only then may a new leader take over (main releases the Lease after this).
    await scheduler.idle();
    loop.deps.log.warn("shutdown: aborted the sync in progress; what it had not recorded will be retried");
  }
  return { abandoned };
}

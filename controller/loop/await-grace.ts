import type { Clock } from "../../common/clock.js";

/**
 * awaitGrace waits for a run to settle, for at most `graceMs`; it resolves true when the grace ran out first. The
 * run's own failure is not this wait's concern: it was reported where the run was started.
 */
export async function awaitGrace(run: Promise<unknown>, clock: Clock, graceMs: number): Promise<boolean> {
  let timedOut = false;
  await Promise.race([
    run.catch(() => undefined),
    clock.sleep(graceMs).then(() => {
      timedOut = true;
    }),
  ]);
  return timedOut;
}

import type { Logger } from "pino";
import type { RunParts } from "./wire-run.js";

/**
 * shutDown stops a serving controller: applying first, then the Lease handed over (the leader's, or this member's with
 * its services), so a new leader or owner never overlaps
 * with the last apply; then the HTTP server, and up to 5 s for notifications, commit statuses and Events to go out.
 */
export async function shutDown(
  run: RunParts,
  server: { close(): Promise<void> },
  log: Logger,
  signal: NodeJS.Signals,
): Promise<void> {
  log.info({ signal }, "shutting down");
  const { abandoned } = await run.controller.stop({ graceMs: 20_000 });
  await run.previews?.runner.stop();
  await run.elector?.stop();
  await run.fleet?.stop();
  await server.close();
  await Promise.race([
    Promise.all([
      run.notifier.flush(),
      run.commitStatuses?.queue.idle(),
      run.previews?.queue.idle(),
      run.events.idle(),
    ]),
    new Promise((resolve) => setTimeout(resolve, 5_000)),
  ]);
  run.events.stop();
  log.info({ abandoned }, "stopped");
}

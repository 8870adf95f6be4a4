import type { Logger } from "pino";
import type { RunParts } from "./wire-run.js";

/**
 * runOnce is `--once`: one sync of every service, scheduled ones included, then the exit status: 1 when a service
 * failed, else 0. Notifications are sent, and commit statuses and Events given a moment to post, before it returns.
 */
export async function runOnce(run: RunParts, log: Logger): Promise<number> {
  const results = await run.controller.runOnce();
  const failed = results.filter((result) => result.status === "failed");
  log.info({ services: results.length, failed: failed.map((result) => result.service) }, "one sync done");
  await run.notifier.flush();
  // A status GitHub did not take yet may wait minutes for its retry: give it ten seconds, not the exit code.
  await Promise.race([
    Promise.all([run.commitStatuses?.queue.idle(), run.events.idle()]),
    new Promise((resolve) => setTimeout(resolve, 10_000)),
  ]);
  run.events.stop();
  return failed.length > 0 ? 1 : 0;
}

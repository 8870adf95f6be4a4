import type { Logger } from "pino";
import { systemTimers } from "../../common/clock.js";
import type { Config } from "../config/types.js";
import type { ProcessEdge } from "./process-edge.js";
import { startServing } from "./serve.js";
import { shutDown } from "./shut-down.js";
import { startWithRetry } from "./startup.js";
import type { RunParts } from "./wire-run.js";

/**
 * serveUntilStopped serves the HTTP API, loads the state (retrying while the store cannot be reached) and starts
 * the loop and the leader election (or, with sharding, this pod's membership of the fleet); SIGTERM or SIGINT shuts
 * it all down and exits 0.
 */
export async function serveUntilStopped(
  run: RunParts,
  config: Config,
  edge: ProcessEdge,
  log: Logger,
): Promise<void> {
  const { controller, elector, fleet } = run;
  if (!elector && !fleet) run.metrics.setLeader(true);
  // Why start-up is not ready yet (the state store's last error), for /readyz.
  let startProblem: string | undefined;
  const server = await startServing({
    config,
    controller,
    metrics: run.metrics,
    env: edge.env,
    isLeader: () => elector?.isLeader() ?? fleet?.current() ?? true,
    ...(fleet ? { shards: () => fleet.view(), passOn: (request) => fleet.passOn(request) } : {}),
    startProblem: () => startProblem,
    liveness: () => run.progress.liveness(controller.status().running),
    ...(run.previews ? { previews: run.previews.runner } : {}),
    log,
  });
  const shutdown = new AbortController();
  // Registered before the state is loaded (which may retry for long) and kept for the whole shutdown: with no
  // listener left, a second SIGTERM or Ctrl-C would end the process at once, mid-apply, with the Lease held (exit 143).
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    edge.onSignal(signal, () => {
      if (shutdown.signal.aborted) return;
      shutdown.abort();
      void shutDown(run, server, log, signal).then(() => edge.exit(0));
    });
  }
  const started = await startWithRetry(() => controller.start(), {
    timers: systemTimers,
    log,
    signal: shutdown.signal,
    onProblem: (message) => {
      startProblem = message;
    },
  });
  // A SIGTERM during the first load has already stopped the elector: starting it now would campaign for a Lease
  // that nothing releases before the process exits.
  if (started && !shutdown.signal.aborted) await startWorking(run, shutdown.signal);
}

/**
 * startWorking starts the leader election or this pod's membership of the fleet once the pods of the other way of
 * working stopped (handover.ts): while the DaemonSet rolls from one to the other, they still apply their services.
 */
async function startWorking(run: RunParts, signal: AbortSignal): Promise<void> {
  const clear = (await run.handover?.(signal)) ?? true;
  if (!clear || signal.aborted) return;
  run.elector?.start();
  run.fleet?.start();
}

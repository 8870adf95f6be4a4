import type { CronScheduler, Timers } from "../../common/clock.js";
import type { ServiceConfig } from "../config/types.js";
import type { SyncRequest } from "./sync-request.js";

// Polls are spaced by the interval ±10 % so that many controllers do not poll GitHub in step.
const JITTER = 0.1;

/** ScheduleDeps are what the schedules need: the services, the poll interval, and the time sources. */
export interface ScheduleDeps {
  readonly services: readonly ServiceConfig[];
  readonly intervalMs: number;
  readonly timers: Timers;
  readonly cron?: CronScheduler;
  readonly random?: () => number;
}

/**
 * armSchedules asks for a sync on every schedule: each service's cron schedule, the poll every interval, each
 * service's reconcile interval. Timers re-arm themselves until `stopped()` says otherwise; the returned function
 * cancels every timer and cron task.
 */
export function armSchedules(
  deps: ScheduleDeps,
  request: (request: SyncRequest) => void,
  stopped: () => boolean,
): () => void {
  const cancels: (() => void)[] = [];
  const cronTasks: { stop(): void }[] = [];
  // every asks for `asked` every `ms` (±10 %), each wait drawn afresh.
  const every = (ms: number, asked: SyncRequest): void => {
    const slot = cancels.length;
    const arm = () => {
      if (stopped()) return;
      const jitter = 1 + JITTER * (2 * (deps.random ?? Math.random)() - 1);
      cancels[slot] = deps.timers.after(() => {
        request(asked);
        arm();
      }, ms * jitter);
    };
    cancels.push(() => {});
    arm();
  };
  for (const service of deps.services) {
    if (!service.schedule || !deps.cron) continue;
    cronTasks.push(
      deps.cron(service.schedule, () => request({ trigger: "schedule", service: service.name })),
    );
  }
  every(deps.intervalMs, { trigger: "poll" });
  for (const service of deps.services) {
    if (service.reconcileIntervalSeconds > 0)
      every(service.reconcileIntervalSeconds * 1000, { trigger: "reconcile", service: service.name });
  }
  return () => {
    for (const cancel of cancels) cancel();
    for (const task of cronTasks) task.stop();
  };
}

import type { Logger } from "pino";
import type { Clock, CronScheduler, Timers } from "../../common/clock.js";
import type { ServiceConfig } from "../config/types.js";
import type { Trigger } from "../record/state/state.js";

/** SyncRequest asks for a sync: of everything, of one repository, or of one service. */
export interface SyncRequest {
  readonly trigger: Trigger;
  readonly repoKey?: string;
  readonly service?: string;
}

/** Scheduler queues sync requests and runs them one batch at a time; timers and cron add requests of their own. */
export interface Scheduler<T> {
  /** request queues a request; while a run is going, every request made meanwhile becomes one follow-up run. */
  request(request: SyncRequest): void;
  /** runNow queues a request and resolves with every batch run until the queue is empty. */
  runNow(request: SyncRequest, includeScheduled: boolean): Promise<T[]>;
  running(): boolean;
  idle(): Promise<void>;
  /** start arms the poll timer, each service's reconcile timer and the cron schedules of services that have one. */
  start(): void;
  /** stop ends timers and schedules and waits up to `graceMs` for the current run. */
  stop(graceMs: number): Promise<{ abandoned: boolean }>;
}

/** SchedulerDeps are the batch runner and the time sources; `random` drives the poll jitter. */
export interface SchedulerDeps<T> {
  readonly run: (batch: readonly SyncRequest[], includeScheduled: boolean) => Promise<T[]>;
  readonly services: readonly ServiceConfig[];
  readonly intervalMs: number;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly cron?: CronScheduler;
  readonly random?: () => number;
  readonly log: Logger;
}

const JITTER = 0.1;

/**
 * createScheduler runs batches of requests one at a time: runs never overlap, and requests that arrive during a run
 * are coalesced into one follow-up run. Polls are spaced by the interval ±10% so that many controllers do not poll
 * GitHub in step.
 */
export function createScheduler<T>(deps: SchedulerDeps<T>): Scheduler<T> {
  let pending: SyncRequest[] = [];
  let current: Promise<T[]> | undefined;
  let stopped = false;
  const cancels: (() => void)[] = [];
  const cronTasks: { stop(): void }[] = [];

  async function loop(includeScheduled: boolean): Promise<T[]> {
    const all: T[] = [];
    while (pending.length > 0 && !stopped) {
      const batch = pending;
      pending = [];
      all.push(...(await deps.run(batch, includeScheduled)));
    }
    return all;
  }

  function drain(includeScheduled = false): Promise<T[]> {
    current ??= loop(includeScheduled).finally(() => {
      current = undefined;
    });
    return current;
  }

  /** every asks for `request` every `ms` (±10%) until the scheduler stops. */
  function every(ms: number, request: SyncRequest): void {
    const slot = cancels.length;
    const arm = () => {
      if (stopped) return;
      const jitter = 1 + JITTER * (2 * (deps.random ?? Math.random)() - 1);
      cancels[slot] = deps.timers.after(() => {
        scheduler.request(request);
        arm();
      }, ms * jitter);
    };
    cancels.push(() => {});
    arm();
  }

  const scheduler: Scheduler<T> = {
    request(request) {
      if (stopped) return;
      pending.push(request);
      void drain().catch((error: unknown) => deps.log.error({ err: error }, "sync run failed"));
    },
    runNow(request, includeScheduled) {
      pending.push(request);
      return drain(includeScheduled);
    },
    running: () => current !== undefined,
    async idle() {
      while (current) await current.catch(() => undefined);
    },
    start() {
      for (const service of deps.services) {
        if (!service.schedule || !deps.cron) continue;
        cronTasks.push(
          deps.cron(service.schedule, () =>
            scheduler.request({ trigger: "schedule", service: service.name }),
          ),
        );
      }
      every(deps.intervalMs, { trigger: "poll" });
      for (const service of deps.services) {
        if (service.reconcileIntervalSeconds > 0)
          every(service.reconcileIntervalSeconds * 1000, { trigger: "reconcile", service: service.name });
      }
    },
    async stop(graceMs) {
      stopped = true;
      for (const cancel of cancels) cancel();
      for (const task of cronTasks) task.stop();
      pending = [];
      const running = current;
      if (!running) return { abandoned: false };
      let timedOut = false;
      await Promise.race([
        running.catch(() => undefined),
        deps.clock.sleep(graceMs).then(() => {
          timedOut = true;
        }),
      ]);
      return { abandoned: timedOut };
    },
  };
  return scheduler;
}

// A reconcile outranks a poll: asked for together, the service's whole set is applied at the head just read.
const TRIGGER_PRIORITY: readonly Trigger[] = [
  "manual",
  "webhook",
  "schedule",
  "startup",
  "reconcile",
  "poll",
];

/** strongestTrigger is the trigger a sync reports when several asked for it: a person's request over a timer's. */
export function strongestTrigger(triggers: readonly Trigger[]): Trigger | undefined {
  return [...triggers].sort((a, b) => TRIGGER_PRIORITY.indexOf(a) - TRIGGER_PRIORITY.indexOf(b))[0];
}

/**
 * triggerFor says whether a batch of requests asks for a service, and with which trigger. A service with a
 * `schedule` syncs only on its schedule or when named (or in a run that includes scheduled services, `--once`).
 * A failed service is polled like the others: whether its failed commit waits for its backoff is decided once the
 * head is known (sync/backoff.ts), so a new head is never held back.
 */
export function triggerFor(
  batch: readonly SyncRequest[],
  service: ServiceConfig,
  includeScheduled: boolean,
): Trigger | undefined {
  const triggers: Trigger[] = [];
  for (const request of batch) {
    const named = request.service === service.name;
    if (request.service !== undefined && !named) continue;
    if (request.repoKey !== undefined && request.repoKey !== service.repoKey) continue;
    if (service.schedule && !named && !includeScheduled && request.trigger !== "schedule") continue;
    triggers.push(request.trigger);
  }
  return strongestTrigger(triggers);
}

import type { Logger } from "pino";
import type { Clock } from "../../common/clock.js";
import { armSchedules, type ScheduleDeps } from "./arm-schedules.js";
import { awaitGrace } from "./await-grace.js";
import type { SyncRequest } from "./sync-request.js";

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
export interface SchedulerDeps<T> extends ScheduleDeps {
  readonly run: (batch: readonly SyncRequest[], includeScheduled: boolean) => Promise<T[]>;
  readonly clock: Clock;
  readonly log: Logger;
}

/**
 * createScheduler runs batches of requests one at a time: runs never overlap, and requests that arrive during a run
 * are coalesced into one follow-up run. Polls are spaced by the interval ±10% so that many controllers do not poll
 * GitHub in step.
 */
export function createScheduler<T>(deps: SchedulerDeps<T>): Scheduler<T> {
  let pending: SyncRequest[] = [];
  let current: Promise<T[]> | undefined;
  let stopped = false;
  const disarms: (() => void)[] = [];

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
      disarms.push(
        armSchedules(
          deps,
          (request) => scheduler.request(request),
          () => stopped,
        ),
      );
    },
    async stop(graceMs) {
      stopped = true;
      for (const disarm of disarms) disarm();
      pending = [];
      if (!current) return { abandoned: false };
      return { abandoned: await awaitGrace(current, deps.clock, graceMs) };
    },
  };
  return scheduler;
}

import type { Logger } from "pino";
import { timerDelay } from "../../../common/timer-delay.js";
import type { SyncResult } from "../../record/result.js";
import { BoundedSet } from "./dedup.js";
import { dedupKey, notificationsFor } from "./events.js";
import type { ServiceEvent } from "./messages.js";
import type { Notification, Notifier, NotifyTarget } from "./notifier.js";
import { fetchPost, type Post } from "./post.js";
import { serviceSummary } from "./service-event.js";
import { type Delivery, enqueue, type TargetQueue } from "./target-queue.js";

/** DispatcherOptions tune delivery; every I/O and timing dependency has a production default. */
export interface DispatcherOptions {
  readonly targets: readonly NotifyTarget[];
  readonly log: Logger;
  readonly post?: Post;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly clock?: () => Date;
  /** retries after the first attempt (3: four attempts in all). */
  readonly retries?: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly timeoutMs?: number;
  /** maxQueue bounds what waits per target while a receiver is down; the oldest is dropped first. */
  readonly maxQueue?: number;
  readonly dedupCapacity?: number;
}

/** NotifyDispatcher is the Notifier that posts to every target in the background. */
export interface NotifyDispatcher extends Notifier {
  /** pending is how many notifications are queued or in flight, over all targets. */
  pending(): number;
}

/**
 * createNotifyDispatcher builds the background notifier: each target has its own queue and worker, so one dead
 * receiver delays neither the loop nor the other receivers. Each sync is one notification (per file as well for a
 * target with `per_file`). A notification is retried with exponential backoff on
 * network errors, timeouts, 429 and 5xx, and sent at most once per target (see dedupKey).
 */
export function createNotifyDispatcher(options: DispatcherOptions): NotifyDispatcher {
  const { log } = options;
  const delivery: Delivery = {
    post: options.post ?? fetchPost,
    sleep: options.sleep ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, timerDelay(ms)))),
    retries: options.retries ?? 3,
    baseDelayMs: options.baseDelayMs ?? 1000,
    maxDelayMs: options.maxDelayMs ?? 30_000,
    timeoutMs: options.timeoutMs ?? 10_000,
    maxQueue: options.maxQueue ?? 1000,
    log,
  };
  const clock = options.clock ?? (() => new Date());
  const workers = options.targets.map(
    (target): TargetQueue => ({
      target,
      queue: [],
      seen: new BoundedSet(options.dedupCapacity ?? 10_000),
      running: undefined,
    }),
  );

  let unique = 0;
  // A notification bug must never fail a sync, a rollback or a suspend.
  const send = (build: (time: string) => readonly Notification[]) => {
    try {
      const notifications = build(clock().toISOString());
      for (const worker of workers) {
        for (const notification of notifications) {
          if (notification.kind === "file" && !worker.target.perFile) continue;
          const body = worker.target.format.render(notification);
          if (body === undefined) continue;
          const key = dedupKey(notification) ?? `unique:${unique++}`;
          enqueue(delivery, worker, { key, body: JSON.stringify(body) });
        }
      }
    } catch (error: unknown) {
      log.error({ err: error }, "could not queue notifications");
    }
  };

  return {
    notify: (result: SyncResult, fileShas = {}) => send((time) => notificationsFor(result, fileShas, time)),
    notifyEvent: (event: ServiceEvent) => send((time) => [serviceSummary(event, time)]),
    async flush() {
      for (;;) {
        const running = workers.map((w) => w.running).filter((p) => p !== undefined);
        if (running.length === 0) return;
        await Promise.all(running);
      }
    },
    pending: () => workers.reduce((n, w) => n + w.queue.length + (w.running ? 1 : 0), 0),
  };
}

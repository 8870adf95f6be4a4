import { createHmac } from "node:crypto";
import type { Logger } from "pino";
import { timerDelay } from "../../../common/timer-delay.js";
import type { Secret } from "../../config/secret.js";
import type { SyncResult } from "../../record/result.js";
import { BoundedSet } from "./dedup.js";
import { dedupKey, notificationsFor } from "./events.js";
import type { Format, Notifier } from "./notifier.js";
import { fetchPost, type Post } from "./post.js";

/** NotifyTarget is one receiver: where to post, in which format, and the HMAC secret if one is configured. */
export interface NotifyTarget {
  /** name identifies the target in logs (`slack#0`); the URL is never logged, it can be a credential itself. */
  readonly name: string;
  readonly url: Secret;
  readonly format: Format;
  readonly secret?: Secret;
}

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

interface Job {
  readonly key: string;
  readonly body: string;
}

/** signatureHeader is the `X-Signature` value Flux's generic-hmac provider sends: `sha256=` + hex HMAC of the body. */
export function signatureHeader(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** NotifyDispatcher is the Notifier that posts to every target in the background. */
export interface NotifyDispatcher extends Notifier {
  /** pending is how many notifications are queued or in flight, over all targets. */
  pending(): number;
}

/**
 * createNotifyDispatcher builds the background notifier: each target has its own queue and worker, so one dead
 * receiver delays neither the loop nor the other receivers. A notification is retried with exponential backoff on
 * network errors, timeouts, 429 and 5xx, and sent at most once per target (see dedupKey).
 */
export function createNotifyDispatcher(options: DispatcherOptions): NotifyDispatcher {
  const post = options.post ?? fetchPost;
  const sleep =
    options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, timerDelay(ms))));
  const clock = options.clock ?? (() => new Date());
  const retries = options.retries ?? 3;
  const baseDelayMs = options.baseDelayMs ?? 1000;
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxQueue = options.maxQueue ?? 1000;
  const log = options.log;

  const workers = options.targets.map((target) => ({
    target,
    queue: [] as Job[],
    seen: new BoundedSet(options.dedupCapacity ?? 10_000),
    running: undefined as Promise<void> | undefined,
  }));
  type Worker = (typeof workers)[number];

  async function deliver(worker: Worker, job: Job): Promise<boolean> {
    const { target } = worker;
    const headers: Record<string, string> = target.secret
      ? { "x-signature": signatureHeader(target.secret.reveal(), job.body) }
      : {};
    for (let attempt = 0; attempt <= retries; attempt++) {
      let wait = Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);
      try {
        const res = await post(target.url.reveal(), job.body, headers, timeoutMs);
        if (res.status >= 200 && res.status < 300) return true;
        if (res.status !== 429 && res.status < 500) {
          log.warn({ target: target.name, status: res.status }, "notification refused; not retried");
          return false;
        }
        if (res.retryAfterMs !== undefined) wait = Math.min(maxDelayMs, res.retryAfterMs);
        log.debug({ target: target.name, status: res.status, attempt }, "notification failed; will retry");
      } catch (error: unknown) {
        log.debug({ target: target.name, err: (error as Error).message, attempt }, "notification not sent");
      }
      if (attempt < retries) await sleep(wait);
    }
    log.warn({ target: target.name, attempts: retries + 1 }, "notification given up after retries");
    return false;
  }

  async function drain(worker: Worker): Promise<void> {
    for (let job = worker.queue.shift(); job; job = worker.queue.shift()) {
      // Forget a notification that never arrived, so a later identical one may try again.
      if (!(await deliver(worker, job))) worker.seen.delete(job.key);
    }
    worker.running = undefined;
  }

  function enqueue(worker: Worker, job: Job): void {
    if (!worker.seen.add(job.key)) return;
    worker.queue.push(job);
    if (worker.queue.length > maxQueue) {
      const dropped = worker.queue.shift();
      if (dropped) worker.seen.delete(dropped.key);
      log.warn({ target: worker.target.name }, "notification queue full; dropped the oldest");
    }
    worker.running ??= drain(worker);
  }

  return {
    notify(result: SyncResult, fileShas = {}) {
      try {
        const notifications = notificationsFor(result, fileShas, clock().toISOString());
        for (const worker of workers) {
          for (const notification of notifications) {
            const body = worker.target.format.render(notification);
            if (body === undefined) continue;
            enqueue(worker, { key: dedupKey(notification), body: JSON.stringify(body) });
          }
        }
      } catch (error: unknown) {
        // A notification bug must never fail a sync.
        log.error({ err: error }, "could not queue notifications");
      }
    },
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

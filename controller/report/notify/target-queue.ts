import { createHmac } from "node:crypto";
import type { Logger } from "pino";
import type { BoundedSet } from "./dedup.js";
import type { NotifyTarget } from "./notifier.js";
import type { Post } from "./post.js";

/** Delivery is how every target's notifications are posted and retried. */
export interface Delivery {
  readonly post: Post;
  readonly sleep: (ms: number) => Promise<void>;
  /** retries after the first attempt. */
  readonly retries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly timeoutMs: number;
  /** What may wait per target; the oldest is dropped first. */
  readonly maxQueue: number;
  readonly log: Logger;
}

/** Job is one rendered notification for one target, and the key it is de-duplicated by. */
export interface Job {
  readonly key: string;
  readonly body: string;
}

/** TargetQueue is one target's own queue and worker, so a dead receiver holds up no other. */
export interface TargetQueue {
  readonly target: NotifyTarget;
  readonly queue: Job[];
  /** Keys queued or sent lately: a notification is sent at most once per target. */
  readonly seen: BoundedSet;
  /** The worker draining the queue, while it runs. */
  running: Promise<void> | undefined;
}

/** enqueue queues a notification for one target unless it was sent (or queued) already, and starts its worker. */
export function enqueue(delivery: Delivery, worker: TargetQueue, job: Job): void {
  if (!worker.seen.add(job.key)) return;
  worker.queue.push(job);
  if (worker.queue.length > delivery.maxQueue) {
    const dropped = worker.queue.shift();
    if (dropped) worker.seen.delete(dropped.key);
    delivery.log.warn({ target: worker.target.name }, "notification queue full; dropped the oldest");
  }
  worker.running ??= drain(delivery, worker);
}

async function drain(delivery: Delivery, worker: TargetQueue): Promise<void> {
  for (let job = worker.queue.shift(); job; job = worker.queue.shift()) {
    // Forget a notification that never arrived, so a later identical one may try again.
    if (!(await deliver(delivery, worker.target, job))) worker.seen.delete(job.key);
  }
  worker.running = undefined;
}

/**
 * deliver posts one notification, retrying with exponential backoff (the receiver's Retry-After when it gives one)
 * on network errors, timeouts, 429 and 5xx; it says whether the receiver took it.
 */
async function deliver(delivery: Delivery, target: NotifyTarget, job: Job): Promise<boolean> {
  const { retries, log } = delivery;
  const headers: Record<string, string> = target.secret
    ? { "x-signature": signatureHeader(target.secret.reveal(), job.body) }
    : {};
  for (let attempt = 0; attempt <= retries; attempt++) {
    let wait = Math.min(delivery.maxDelayMs, delivery.baseDelayMs * 2 ** attempt);
    try {
      const res = await delivery.post(target.url.reveal(), job.body, headers, delivery.timeoutMs);
      if (res.status >= 200 && res.status < 300) return true;
      if (res.status !== 429 && res.status < 500) {
        log.warn({ target: target.name, status: res.status }, "notification refused; not retried");
        return false;
      }
      if (res.retryAfterMs !== undefined) wait = Math.min(delivery.maxDelayMs, res.retryAfterMs);
      log.debug({ target: target.name, status: res.status, attempt }, "notification failed; will retry");
    } catch (error: unknown) {
      log.debug({ target: target.name, err: (error as Error).message, attempt }, "notification not sent");
    }
    if (attempt < retries) await delivery.sleep(wait);
  }
  log.warn({ target: target.name, attempts: retries + 1 }, "notification given up after retries");
  return false;
}

/** signatureHeader is the `X-Signature` value Flux's generic-hmac provider sends: `sha256=` + hex HMAC of the body. */
function signatureHeader(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

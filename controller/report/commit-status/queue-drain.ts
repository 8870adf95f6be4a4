import type { Logger } from "pino";
import type { Clock, Timers } from "../../../common/clock.js";
import type { CommitStatus } from "./status.js";

/** PostOutcome is what one attempt to post a status came to; `retryAfterMs` is GitHub's own wait, when it gave one. */
export type PostOutcome =
  | { readonly ok: true }
  | { readonly ok: false; readonly retry: boolean; readonly reason: string; readonly retryAfterMs?: number };

/** PostStatus sends one status; it never throws, and stops when `signal` aborts. */
export type PostStatus = (status: CommitStatus, signal: AbortSignal) => Promise<PostOutcome>;

/** Job is one status waiting to be posted: how often it was tried, and not before when (monotonic ms). */
export interface Job {
  readonly status: CommitStatus;
  readonly key: string;
  attempts: number;
  notBefore: number;
}

/** QueueState is a status queue's settings and what it holds; only the queue's own functions change it. */
export interface QueueState {
  readonly post: PostStatus;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly log: Pick<Logger, "warn" | "debug">;
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly spacingMs: number;
  /** Aborted by close: the post in flight stops, nothing more is posted. */
  readonly aborter: AbortController;
  jobs: Job[];
  inFlight: boolean;
  /** The drain in progress, if any. */
  running: Promise<void> | undefined;
  /** Ends a wait for a retry early, when a new status arrives. */
  wake: (() => void) | undefined;
}

/** drain posts what is due, one at a time and `spacingMs` apart, waiting for retries, until nothing is left. */
export async function drain(queue: QueueState): Promise<void> {
  while (queue.jobs.length > 0 && !queue.aborter.signal.aborted) {
    const now = queue.clock.monotonic();
    const due = queue.jobs.find((job) => job.notBefore <= now);
    if (due === undefined) {
      await pause(queue, Math.min(...queue.jobs.map((job) => job.notBefore)) - now, true);
      continue;
    }
    queue.jobs = queue.jobs.filter((job) => job !== due);
    await deliver(queue, due);
    if (queue.jobs.length > 0) await pause(queue, queue.spacingMs, false);
  }
  queue.running = undefined;
}

/**
 * deliver posts one status, and queues it again with exponential backoff (GitHub's Retry-After when longer) when
 * GitHub may take it later; refusals that asking again cannot change are logged and dropped.
 */
async function deliver(queue: QueueState, job: Job): Promise<void> {
  queue.inFlight = true;
  const outcome = await queue.post(job.status, queue.aborter.signal);
  queue.inFlight = false;
  if (outcome.ok || queue.aborter.signal.aborted) return;
  const { status } = job;
  const where = { context: status.context, sha: status.sha.slice(0, 12), state: status.state };
  job.attempts += 1;
  if (!outcome.retry || job.attempts >= queue.attempts) {
    queue.log.warn({ ...where, attempts: job.attempts }, `commit status not set: ${outcome.reason}`);
    return;
  }
  // A newer state for the same commit and context arrived meanwhile: it replaces this one.
  if (queue.jobs.some((queued) => queued.key === job.key)) return;
  const backoff = Math.min(queue.maxDelayMs, queue.baseDelayMs * 2 ** (job.attempts - 1));
  job.notBefore = queue.clock.monotonic() + Math.max(backoff, outcome.retryAfterMs ?? 0);
  queue.log.warn(
    { ...where, attempt: job.attempts, retryInMs: job.notBefore - queue.clock.monotonic() },
    `commit status not set, will retry: ${outcome.reason}`,
  );
  queue.jobs.push(job);
}

// Waits `ms`; a wait for a retry ends early when a new status arrives, the spacing between two posts never does.
function pause(queue: QueueState, ms: number, wakeable: boolean): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const cancel = queue.timers.after(() => resolve(), ms);
    if (wakeable)
      queue.wake = () => {
        cancel();
        resolve();
      };
  }).finally(() => {
    queue.wake = undefined;
  });
}

import type { Logger } from "pino";
import type { Clock, Timers } from "../../../common/clock.js";
import type { CommitStatus } from "./status.js";

/** PostOutcome is what one attempt to post a status came to; `retryAfterMs` is GitHub's own wait, when it gave one. */
export type PostOutcome =
  | { readonly ok: true }
  | { readonly ok: false; readonly retry: boolean; readonly reason: string; readonly retryAfterMs?: number };

/** PostStatus sends one status; it never throws, and stops when `signal` aborts. */
export type PostStatus = (status: CommitStatus, signal: AbortSignal) => Promise<PostOutcome>;

/** StatusQueueOptions bound the queue; times come from the injected clock and timers. */
export interface StatusQueueOptions {
  readonly post: PostStatus;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly log: Pick<Logger, "warn" | "debug">;
  /** maxQueue bounds what waits while GitHub is unreachable; the oldest is dropped first. Default 500. */
  readonly maxQueue?: number;
  /** attempts per status before it is given up. Default 6. */
  readonly attempts?: number;
  /** The first retry waits this long, doubling up to maxDelayMs. Defaults 5 s and 5 min. */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /**
   * spacingMs is the pause between two posts: GitHub asks for at least a second between writes to avoid its
   * secondary rate limit (https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#pause-between-mutative-requests).
   */
  readonly spacingMs?: number;
}

interface Job {
  readonly status: CommitStatus;
  readonly key: string;
  attempts: number;
  notBefore: number;
}

/** StatusQueue delivers commit statuses in the background, one at a time, retrying what GitHub did not take. */
export interface StatusQueue {
  enqueue(status: CommitStatus): void;
  /** pending counts the statuses queued or in flight. */
  pending(): number;
  /** idle resolves when nothing is queued or in flight. */
  idle(): Promise<void>;
  /** close gives up what is queued and aborts the post in flight. */
  close(): void;
}

/** statusKey identifies a status on GitHub: a later status with the same key replaces the earlier one there. */
export function statusKey(status: Pick<CommitStatus, "repoKey" | "sha" | "context">): string {
  return `${status.repoKey}\n${status.sha}\n${status.context}`;
}

/**
 * createStatusQueue keeps at most one status per commit and context: a newer state replaces one still waiting, so
 * after an outage GitHub gets the latest state, not the history. Failed posts are retried with exponential backoff
 * (GitHub's Retry-After when it sends one); refusals that asking again cannot change are logged and dropped.
 */
export function createStatusQueue(options: StatusQueueOptions): StatusQueue {
  const { clock, timers, log } = options;
  const maxQueue = options.maxQueue ?? 500;
  const attempts = options.attempts ?? 6;
  const baseDelayMs = options.baseDelayMs ?? 5000;
  const maxDelayMs = options.maxDelayMs ?? 300_000;
  const spacingMs = options.spacingMs ?? 1000;
  const aborter = new AbortController();
  let jobs: Job[] = [];
  let inFlight = false;
  let running: Promise<void> | undefined;
  let wake: (() => void) | undefined;

  // Waits `ms`; a wait for a retry ends early when a new status arrives, the spacing between two posts never does.
  const pause = (ms: number, wakeable: boolean) =>
    ms <= 0
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          const cancel = timers.after(() => resolve(), ms);
          if (wakeable)
            wake = () => {
              cancel();
              resolve();
            };
        }).finally(() => {
          wake = undefined;
        });

  async function deliver(job: Job): Promise<void> {
    inFlight = true;
    const outcome = await options.post(job.status, aborter.signal);
    inFlight = false;
    if (outcome.ok || aborter.signal.aborted) return;
    const { status } = job;
    const where = { context: status.context, sha: status.sha.slice(0, 12), state: status.state };
    job.attempts += 1;
    if (!outcome.retry || job.attempts >= attempts) {
      log.warn({ ...where, attempts: job.attempts }, `commit status not set: ${outcome.reason}`);
      return;
    }
    // A newer state for the same commit and context arrived meanwhile: it replaces this one.
    if (jobs.some((queued) => queued.key === job.key)) return;
    const backoff = Math.min(maxDelayMs, baseDelayMs * 2 ** (job.attempts - 1));
    job.notBefore = clock.monotonic() + Math.max(backoff, outcome.retryAfterMs ?? 0);
    log.warn(
      { ...where, attempt: job.attempts, retryInMs: job.notBefore - clock.monotonic() },
      `commit status not set, will retry: ${outcome.reason}`,
    );
    jobs.push(job);
  }

  async function drain(): Promise<void> {
    while (jobs.length > 0 && !aborter.signal.aborted) {
      const now = clock.monotonic();
      const due = jobs.find((job) => job.notBefore <= now);
      if (due === undefined) {
        await pause(Math.min(...jobs.map((job) => job.notBefore)) - now, true);
        continue;
      }
      jobs = jobs.filter((job) => job !== due);
      await deliver(due);
      if (jobs.length > 0) await pause(spacingMs, false);
    }
    running = undefined;
  }

  return {
    enqueue(status) {
      if (aborter.signal.aborted) return;
      const key = statusKey(status);
      jobs = jobs.filter((job) => job.key !== key);
      jobs.push({ status, key, attempts: 0, notBefore: clock.monotonic() });
      if (jobs.length > maxQueue) {
        const [dropped] = jobs.splice(0, 1);
        log.warn({ context: dropped?.status.context }, "commit status queue full; dropped the oldest");
      }
      wake?.();
      running ??= drain();
    },
    pending: () => jobs.length + (inFlight ? 1 : 0),
    async idle() {
      while (running) await running;
    },
    close() {
      aborter.abort(new Error("shutting down"));
      jobs = [];
      wake?.();
    },
  };
}

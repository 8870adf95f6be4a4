import type { Logger } from "pino";
import type { Clock, Timers } from "../../../common/clock.js";
import { drain, type PostStatus, type QueueState } from "./queue-drain.js";
import type { CommitStatus } from "./status.js";

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
  const maxQueue = options.maxQueue ?? 500;
  const queue: QueueState = {
    post: options.post,
    clock: options.clock,
    timers: options.timers,
    log: options.log,
    attempts: options.attempts ?? 6,
    baseDelayMs: options.baseDelayMs ?? 5000,
    maxDelayMs: options.maxDelayMs ?? 300_000,
    spacingMs: options.spacingMs ?? 1000,
    aborter: new AbortController(),
    jobs: [],
    inFlight: false,
    running: undefined,
    wake: undefined,
  };
  return {
    enqueue(status) {
      if (queue.aborter.signal.aborted) return;
      const key = statusKey(status);
      queue.jobs = queue.jobs.filter((job) => job.key !== key);
      queue.jobs.push({ status, key, attempts: 0, notBefore: queue.clock.monotonic() });
      if (queue.jobs.length > maxQueue) {
        const [dropped] = queue.jobs.splice(0, 1);
        queue.log.warn({ context: dropped?.status.context }, "commit status queue full; dropped the oldest");
      }
      queue.wake?.();
      queue.running ??= drain(queue);
    },
    pending: () => queue.jobs.length + (queue.inFlight ? 1 : 0),
    async idle() {
      while (queue.running) await queue.running;
    },
    close() {
      queue.aborter.abort(new Error("shutting down"));
      queue.jobs = [];
      queue.wake?.();
    },
  };
}

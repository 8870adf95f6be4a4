import type { Clock } from "../../common/clock.js";

/** PoolSizing bounds the pool of service syncs and says what a slow answer is. */
export interface PoolSizing {
  readonly min: number;
  /** start is the size before any answer: the old bound (8 repositories, each one service at a time). */
  readonly start: number;
  readonly max: number;
  /** slowMs: an answer that took longer says the apiserver is busy, like a 429. */
  readonly slowMs: number;
}

/**
 * POOL_SIZING is the default: 8 service syncs at first, never fewer than 2 (a sync that waits for health must not
 * stop all others) nor more than 64 (each applies up to APPLY_CONCURRENCY objects at a time; 64 × 8 stays well
 * below the apiserver's default of 200 mutating requests in flight), and an answer slower than 1 s as a busy one.
 */
export const POOL_SIZING: PoolSizing = { min: 2, start: 8, max: 64, slowMs: 1_000 };

/** ApiAnswer is one apiserver answer as the pool hears it: its HTTP status, or none, and when it was sent. */
export interface ApiAnswer {
  /** status is the answer's HTTP status, or `error` when none came (a deadline passed, the connection failed). */
  readonly status: number | "error";
  /** sentAt is the clock's monotonic time when the request was sent. */
  readonly sentAt: number;
}

/** PoolSize is the size of the pool of service syncs, learned from the apiserver's answers. */
export interface PoolSize {
  /** size is how many service syncs may run at once now. */
  size(): number;
  /**
   * answered hears one apiserver answer. `saturated` says whether the pool was full then: only a full pool grows,
   * so fast answers while little runs (a Lease renewal at rest) do not grow it past what was ever needed.
   */
  answered(answer: ApiAnswer, saturated: boolean): void;
}

/**
 * createPoolSize sizes the pool by additive increase, multiplicative decrease, as TCP sizes its window: a round of fast
 * answers while the pool is full (as many as its size) adds one sync, and a 429, a 5xx, an answer
 * that never came or one slower than `slowMs` halves it, within [min, max]. Answers to requests sent before the last
 * halving do not halve it again: they were sent while the pool was larger, and one burst of 429s is one signal.
 */
export function createPoolSize(clock: Pick<Clock, "monotonic">, sizing: PoolSizing = POOL_SIZING): PoolSize {
  let size = clamp(sizing.start, sizing);
  // Fast answers heard at this size: a full round of them (as many as the size) grows it by one.
  let credit = 0;
  let halvedAt = Number.NEGATIVE_INFINITY;
  return {
    size: () => size,
    answered(answer, saturated) {
      const now = clock.monotonic();
      if (busy(answer, now - answer.sentAt, sizing)) {
        if (answer.sentAt < halvedAt) return;
        size = clamp(Math.floor(size / 2), sizing);
        credit = 0;
        halvedAt = now;
      } else if (saturated && ++credit >= size) {
        size = clamp(size + 1, sizing);
        credit = 0;
      }
    },
  };
}

/** busy says whether an answer asks for fewer requests: throttled, failed on the server's side, lost, or slow. */
function busy(answer: ApiAnswer, tookMs: number, sizing: PoolSizing): boolean {
  if (answer.status === "error" || answer.status === 429 || answer.status >= 500) return true;
  return tookMs > sizing.slowMs;
}

function clamp(size: number, sizing: PoolSizing): number {
  return Math.min(sizing.max, Math.max(sizing.min, size));
}

/**
 * Limiter runs async work with a bounded number of calls in flight, first come first served. `run` waits for a
 * slot, then runs `work`; with a signal, a call still waiting when it aborts leaves the queue and rejects with the
 * signal's reason, and one whose turn comes after the abort never starts.
 */
export interface Limiter {
  run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** inFlight is how many calls are running now. */
  inFlight(): number;
  /** wake starts the calls waiting that a bound grown meanwhile lets in. */
  wake(): void;
}

/**
 * createLimiter bounds the calls in flight by `limit()`, read each time a slot could open, so a bound that changes
 * (see pool-size.ts) takes effect at the next call's end, or at `wake`. A bound that shrinks stops nothing already
 * running; it lets no new call in until fewer than it are. At least one call runs, whatever the bound.
 */
export function createLimiter(limit: () => number): Limiter {
  let running = 0;
  const waiting: (() => void)[] = [];
  const admit = () => {
    while (waiting.length > 0 && running < Math.max(1, limit())) {
      running++;
      waiting.shift()?.();
    }
  };
  return {
    inFlight: () => running,
    wake: admit,
    async run(work, signal) {
      signal?.throwIfAborted();
      await new Promise<void>((resolve, reject) => {
        const abort = () => {
          const at = waiting.indexOf(enter);
          if (at >= 0) waiting.splice(at, 1);
          reject(signal?.reason);
        };
        const enter = () => {
          signal?.removeEventListener("abort", abort);
          resolve();
        };
        signal?.addEventListener("abort", abort, { once: true });
        waiting.push(enter);
        admit();
      });
      try {
        signal?.throwIfAborted();
        return await work();
      } finally {
        running--;
        admit();
      }
    },
  };
}

import type { Clock } from "../../common/clock.js";
import { createLimiter } from "./limiter.js";
import { type ApiAnswer, createPoolSize, POOL_SIZING, type PoolSizing } from "./pool-size.js";

/**
 * ServicePool is the one bounded pool of service syncs across all repositories: each service's part of a run takes
 * a slot (see each-service.ts), and the number of slots follows the apiserver's answers (see pool-size.ts).
 */
export interface ServicePool {
  /** run runs one service's part once a slot is free (see Limiter.run). */
  run<T>(part: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** size is how many service syncs may run at once now. */
  size(): number;
  /** answered hears one apiserver answer to a sync's request, and resizes the pool by it. */
  answered(answer: ApiAnswer): void;
}

/** ServicePoolOptions are the pool's clock and bounds, and who hears it resized (metrics). */
export interface ServicePoolOptions {
  readonly clock: Pick<Clock, "monotonic">;
  readonly sizing?: PoolSizing;
  /** onResize hears each new size. It must not throw. */
  readonly onResize?: (size: number) => void;
}

/** createServicePool starts a pool at its start size; it grows and shrinks only as answers come in. */
export function createServicePool(options: ServicePoolOptions): ServicePool {
  const size = createPoolSize(options.clock, options.sizing ?? POOL_SIZING);
  const slots = createLimiter(size.size);
  return {
    run: (part, signal) => slots.run(part, signal),
    size: size.size,
    answered(answer) {
      const before = size.size();
      size.answered(answer, slots.inFlight() >= before);
      const after = size.size();
      if (after === before) return;
      options.onResize?.(after);
      slots.wake();
    },
  };
}

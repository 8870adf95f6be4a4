import type { Clock } from "../../../common/clock.js";
import { LruCache } from "../../../common/lru.js";
import type { ServiceEventReason } from "./service-events.js";

/**
 * CorrelatorLimits bound the Events of one service and reason; the defaults are kubelet's event recorder's
 * (client-go `tools/record` EventCorrelator).
 */
export interface CorrelatorLimits {
  /** burst is how many Events one service and reason may write at once. */
  readonly burst: number;
  /** refillMs is how long the bucket takes to earn one write back. */
  readonly refillMs: number;
  /** similarWindowMs: Events of one service and reason less than this apart are similar. */
  readonly similarWindowMs: number;
  /** maxSimilar similar Events with different messages are written as they are; more are combined into one. */
  readonly maxSimilar: number;
  /** cacheSize bounds each cache (buckets, similar messages, written Events). */
  readonly cacheSize: number;
}

/** DEFAULT_LIMITS are client-go's: a burst of 25, one more per 5 minutes, 10 different messages per 10 minutes. */
export const DEFAULT_LIMITS: CorrelatorLimits = {
  burst: 25,
  refillMs: 300_000,
  similarWindowMs: 600_000,
  maxSimilar: 10,
  cacheSize: 4096,
};

/** COMBINED_PREFIX starts the message of an Event that stands for many similar ones. */
export const COMBINED_PREFIX = "(combined from similar events): ";

/** ServiceEventInput is one Event as emitted, before correlation. */
export interface ServiceEventInput {
  readonly reason: ServiceEventReason;
  readonly service: string;
  readonly message: string;
}

/**
 * CorrelatedEvent is what to write: a new Event (`count` 1) or, for a repeat, the Event already written under
 * `name` with its count raised, its last time moved and its message replaced.
 */
export interface CorrelatedEvent extends ServiceEventInput {
  readonly name: string;
  readonly count: number;
  /** firstTimestamp and lastTimestamp are wall-clock epoch ms. */
  readonly firstTimestamp: number;
  readonly lastTimestamp: number;
}

/** EventCorrelator decides, Event by Event, whether to create, count a repeat, or drop. */
export interface EventCorrelator {
  /** correlate returns the Event to write, or undefined when the service and reason are over their rate. */
  correlate(event: ServiceEventInput): CorrelatedEvent | undefined;
}

interface Similar {
  readonly messages: Set<string>;
  readonly last: number;
}

interface Written {
  readonly name: string;
  readonly count: number;
  readonly firstTimestamp: number;
}

interface Bucket {
  readonly tokens: number;
  readonly at: number;
}

/**
 * createEventCorrelator correlates as kubelet's event recorder does: similar Events (one service and reason) with
 * more than `maxSimilar` different messages in `similarWindowMs` become one combined Event; an Event seen before
 * raises the count of the one written instead of writing another; and each service and reason has a token bucket,
 * whose empty state drops the write (the count still rises, so the next write carries every repeat). Names are the
 * Pod's name and the time in hex, as client-go names them.
 */
export function createEventCorrelator(options: {
  readonly clock: Clock;
  readonly namePrefix: string;
  readonly limits?: Partial<CorrelatorLimits>;
}): EventCorrelator {
  const { clock, namePrefix } = options;
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const similar = new LruCache<string, Similar>({ maxWeight: limits.cacheSize });
  const written = new LruCache<string, Written>({ maxWeight: limits.cacheSize });
  const buckets = new LruCache<string, Bucket>({ maxWeight: limits.cacheSize });
  let sequence = 0;
  const newName = (now: number) => {
    sequence = (sequence + 1) % 1_000_000;
    return `${namePrefix}.${(BigInt(now) * 1_000_000n + BigInt(sequence)).toString(16)}`;
  };

  /** aggregate is the key and message to write under: the Event's own, or its group's once it is too varied. */
  const aggregate = (event: ServiceEventInput, group: string, now: number) => {
    const seen = similar.get(group);
    const fresh = seen === undefined || now - seen.last > limits.similarWindowMs;
    const messages = new Set(fresh ? [] : seen.messages);
    messages.add(event.message);
    if (messages.size < limits.maxSimilar) {
      similar.set(group, { messages, last: now });
      return { key: `${group}\n${event.message}`, message: event.message };
    }
    // Kept one short of the limit, as client-go does, so every later different message is combined too.
    messages.delete(event.message);
    similar.set(group, { messages, last: now });
    return { key: group, message: `${COMBINED_PREFIX}${event.message}` };
  };

  /** take spends one token of the group's bucket; false when it is empty. */
  const take = (group: string, monotonic: number) => {
    const bucket = buckets.get(group) ?? { tokens: limits.burst, at: monotonic };
    const tokens = Math.min(limits.burst, bucket.tokens + (monotonic - bucket.at) / limits.refillMs);
    if (tokens < 1) return false;
    buckets.set(group, { tokens: tokens - 1, at: monotonic });
    return true;
  };

  return {
    correlate(event) {
      const now = clock.now();
      const group = `${event.service}\n${event.reason}`;
      const { key, message } = aggregate(event, group, now);
      const before = written.get(key);
      const record: Written = before
        ? { ...before, count: before.count + 1 }
        : { name: newName(now), count: 1, firstTimestamp: now };
      written.set(key, record);
      if (!take(group, clock.monotonic())) return undefined;
      return { ...event, message, ...record, lastTimestamp: now };
    },
  };
}

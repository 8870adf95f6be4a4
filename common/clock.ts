import { setTimeout as delay } from "node:timers/promises";
import { timerDelay } from "./timer-delay.js";

/** Clock is the time source of the wait and of the loop; tests pass a manual one. */
export interface Clock {
  /** now is wall-clock time (epoch ms), for times people read: when a sync ran, when a limit ends. */
  now(): number;
  /**
   * monotonic is milliseconds from an arbitrary origin that a wall-clock step (NTP, a changed date) never moves:
   * for deadlines and elapsed time, never shown as a date.
   */
  monotonic(): number;
  sleep(ms: number): Promise<void>;
}

/** systemClock is the production {@link Clock}. */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, timerDelay(ms))),
};

/** Timers schedules callbacks; injected so the loop's tests advance time by hand instead of sleeping. */
export interface Timers {
  /** after runs `fn` once after `ms` and returns a function that cancels it. */
  after(fn: () => void, ms: number): () => void;
}

/**
 * systemTimers are the production Timers; they do not keep the process alive on their own, and a delay past what
 * Node can hold fires at that limit, not at once (see timerDelay).
 */
export const systemTimers: Timers = {
  after(fn, ms) {
    const handle = setTimeout(fn, timerDelay(ms));
    handle.unref();
    return () => clearTimeout(handle);
  },
};

/** CronScheduler starts a cron task; injected so tests fire schedules by hand. */
export type CronScheduler = (expression: string, fn: () => void) => { stop(): void };

/**
 * LeaseClock is the time source of what holds a Lease (the leader's, a member's): wall-clock time written into the
 * Lease (`renewTime`) for people and others to read; monotonic time for renew deadlines and a Lease's expiry, which a
 * wall-clock step must not extend or end; and a sleep that ends early when its signal aborts, so that stopping does
 * not wait out a pause.
 */
export interface LeaseClock {
  now(): number;
  monotonic(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** systemLeaseClock is the production {@link LeaseClock}. */
export const systemLeaseClock: LeaseClock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  sleep: (ms, signal) => delay(timerDelay(ms), undefined, { signal }).catch(() => undefined),
};

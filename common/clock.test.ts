import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { systemClock, systemTimers } from "./clock.js";
import { MAX_TIMER_DELAY_MS } from "./timer-delay.js";

// vi's fake timers overflow as Node does (a delay past 2^31 - 1 ms fires after 1 ms), so these fail without the cut.
describe("the production timers", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const HUGE = [
    ["one past the limit", MAX_TIMER_DELAY_MS + 1],
    ["1000 hours", 1000 * 3600 * 1000],
    ["Infinity", Number.POSITIVE_INFINITY],
  ] as const;

  it.each(HUGE)("systemTimers.after(%s) does not fire early, and fires at the limit", (_name, ms) => {
    const fired = vi.fn();
    systemTimers.after(fired, ms);
    vi.advanceTimersByTime(60_000);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(MAX_TIMER_DELAY_MS - 60_000);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it.each(HUGE)("systemClock.sleep(%s) does not end early", async (_name, ms) => {
    let woke = false;
    void systemClock.sleep(ms).then(() => {
      woke = true;
    });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(woke).toBe(false);
    await vi.advanceTimersByTimeAsync(MAX_TIMER_DELAY_MS);
    expect(woke).toBe(true);
  });

  it("cancels a timer before it fires", () => {
    const fired = vi.fn();
    const cancel = systemTimers.after(fired, 1_000);
    cancel();
    vi.advanceTimersByTime(2_000);
    expect(fired).not.toHaveBeenCalled();
  });
});

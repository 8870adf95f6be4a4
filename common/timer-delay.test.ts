import { describe, expect, it } from "vitest";
import { MAX_TIMER_DELAY_MS, timerDelay } from "./timer-delay.js";

describe("timerDelay", () => {
  it.each([
    { name: "a delay Node holds", ms: 1_500, expected: 1_500 },
    { name: "a fractional delay", ms: 0.5, expected: 0.5 },
    { name: "exactly the limit", ms: MAX_TIMER_DELAY_MS, expected: MAX_TIMER_DELAY_MS },
    { name: "one past the limit", ms: MAX_TIMER_DELAY_MS + 1, expected: MAX_TIMER_DELAY_MS },
    { name: "1000 hours", ms: 1000 * 3600 * 1000, expected: MAX_TIMER_DELAY_MS },
    { name: "a huge number", ms: 1e300, expected: MAX_TIMER_DELAY_MS },
    { name: "Infinity", ms: Number.POSITIVE_INFINITY, expected: MAX_TIMER_DELAY_MS },
    { name: "zero", ms: 0, expected: 0 },
    { name: "a negative delay", ms: -5, expected: 0 },
    { name: "NaN", ms: Number.NaN, expected: 0 },
  ])("turns $name into a delay Node can hold", ({ ms, expected }) => {
    const delay = timerDelay(ms);
    expect(delay).toBe(expected);
    expect(delay).toBeGreaterThanOrEqual(0);
    expect(delay).toBeLessThanOrEqual(2 ** 31 - 1);
  });
});

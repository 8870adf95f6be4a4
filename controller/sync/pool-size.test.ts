import { describe, expect, it } from "vitest";
import { createManualTime } from "../../test/manual-time.js";
import { type ApiAnswer, createPoolSize, type PoolSizing } from "./pool-size.js";

const SIZING: PoolSizing = { min: 2, start: 8, max: 12, slowMs: 1_000 };

/** sized is a pool size on manual time, with `answer` sending a request now that the server answers `tookMs` later. */
function sized(sizing = SIZING) {
  const time = createManualTime();
  const size = createPoolSize(time, sizing);
  const answer = async (status: ApiAnswer["status"], tookMs = 20, saturated = true) => {
    const sentAt = time.monotonic();
    await time.advance(tookMs);
    size.answered({ status, sentAt }, saturated);
  };
  /** fastRound answers as many requests quickly as the pool's size, and returns the size after. */
  const fastRound = async () => {
    for (let i = size.size(); i > 0; i--) await answer(200);
    return size.size();
  };
  return { time, size, answer, fastRound };
}

describe("the size of the pool of service syncs", () => {
  it("grows by one for each round of fast answers while the pool is full, up to its max", async () => {
    const { size, fastRound } = sized();
    const sizes = [size.size()];
    for (let round = 0; round < 6; round++) sizes.push(await fastRound());
    expect(sizes).toEqual([8, 9, 10, 11, 12, 12, 12]);
  });

  it("does not grow on fast answers while the pool is not full", async () => {
    const { size, answer } = sized();
    for (let i = 0; i < 100; i++) await answer(200, 20, false);
    expect(size.size()).toBe(SIZING.start);
  });

  it.each([
    { name: "a 429", status: 429, tookMs: 20 },
    { name: "a 500", status: 500, tookMs: 20 },
    { name: "a 503", status: 503, tookMs: 20 },
    { name: "no answer at all", status: "error" as const, tookMs: 20 },
    { name: "an answer slower than slowMs", status: 200, tookMs: SIZING.slowMs + 1 },
  ])("halves on $name", async ({ status, tookMs }) => {
    const { size, answer } = sized();
    await answer(status, tookMs);
    expect(size.size()).toBe(SIZING.start / 2);
  });

  it("takes a 404, a 409 or a 422 as an answer like any other, and an answer of exactly slowMs as fast", async () => {
    const { size, answer } = sized();
    for (const status of [404, 409, 422]) await answer(status);
    await answer(200, SIZING.slowMs);
    expect(size.size()).toBe(SIZING.start);
  });

  it("halves once for a burst of 429s sent before the halving, again for one sent after it, never below min", async () => {
    const { time, size, answer } = sized();
    // Three requests in flight together, all throttled: one signal.
    const sentAt = time.monotonic();
    await time.advance(20);
    for (let i = 0; i < 3; i++) size.answered({ status: 429, sentAt }, true);
    expect(size.size()).toBe(4);
    await answer(429);
    expect(size.size()).toBe(2);
    await answer(429);
    expect(size.size()).toBe(SIZING.min);
  });

  it("grows back after halving, one round of fast answers at a time", async () => {
    const { size, answer, fastRound } = sized();
    await answer(429);
    expect([size.size(), await fastRound(), await fastRound()]).toEqual([4, 5, 6]);
  });

  it("starts within its bounds", () => {
    const time = createManualTime();
    expect(createPoolSize(time, { ...SIZING, start: 100 }).size()).toBe(SIZING.max);
    expect(createPoolSize(time, { ...SIZING, start: 0 }).size()).toBe(SIZING.min);
  });
});

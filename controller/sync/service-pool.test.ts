import { describe, expect, it } from "vitest";
import { createManualTime } from "../../test/manual-time.js";
import { createServicePool } from "./service-pool.js";

/** settle lets every pending promise callback run, without waiting on a timer. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** held is work that runs until the test ends it, counting how many such calls run at once. */
function held() {
  const enders: (() => void)[] = [];
  let running = 0;
  let most = 0;
  const work = () =>
    new Promise<void>((resolve) => {
      running++;
      most = Math.max(most, running);
      enders.push(() => {
        running--;
        resolve();
      });
    });
  return {
    work,
    running: () => running,
    most: () => most,
    endAll: () => {
      for (const end of enders.splice(0)) end();
    },
  };
}

describe("the pool of service syncs", () => {
  it("runs at most its size at once, and lets more in as soon as the apiserver's answers grow it", async () => {
    const time = createManualTime();
    const sizes: number[] = [];
    const pool = createServicePool({
      clock: time,
      sizing: { min: 1, start: 2, max: 3, slowMs: 1_000 },
      onResize: (size) => sizes.push(size),
    });
    const calls = held();
    const runs = Array.from({ length: 5 }, () => pool.run(calls.work));
    await settle();
    expect(calls.running()).toBe(2);
    // A full pool hears a round of fast answers (as many as its size): one more runs.
    for (let i = 0; i < 2; i++) pool.answered({ status: 200, sentAt: time.monotonic() });
    await settle();
    expect(calls.running()).toBe(3);
    calls.endAll();
    await settle();
    calls.endAll();
    await Promise.all(runs);
    expect([calls.most(), sizes]).toEqual([3, [3]]);
  });

  it("lets nothing new in after a 429 until fewer than the halved size run", async () => {
    const time = createManualTime();
    const pool = createServicePool({ clock: time, sizing: { min: 1, start: 4, max: 4, slowMs: 1_000 } });
    const calls = held();
    const runs = Array.from({ length: 6 }, () => pool.run(calls.work));
    await settle();
    pool.answered({ status: 429, sentAt: time.monotonic() });
    calls.endAll();
    await settle();
    expect([pool.size(), calls.running()]).toEqual([2, 2]);
    calls.endAll();
    await Promise.all(runs);
  });

  it("drops a call still waiting when its run is aborted, and never starts it", async () => {
    const time = createManualTime();
    const pool = createServicePool({ clock: time, sizing: { min: 1, start: 1, max: 1, slowMs: 1_000 } });
    const calls = held();
    const first = pool.run(calls.work);
    const aborter = new AbortController();
    let started = false;
    const waiting = pool.run(async () => {
      started = true;
    }, aborter.signal);
    await settle();
    aborter.abort(new Error("lost the leader Lease"));
    await expect(waiting).rejects.toThrow("lost the leader Lease");
    calls.endAll();
    await first;
    await settle();
    expect(started).toBe(false);
    // The slot the dropped call never took is free for the next one.
    await pool.run(async () => undefined);
  });
});

import { describe, expect, it } from "vitest";
import { mapLimit } from "./map-limit.js";

/** settle lets every pending promise callback run, without waiting on a timer. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/**
 * controlled is an `fn` for mapLimit whose calls finish only when the test says so: it records which items were
 * started, how many calls were in flight at most, and lets each call be resolved or rejected by its item.
 */
function controlled() {
  const pending = new Map<number, { resolve: (value: string) => void; reject: (error: Error) => void }>();
  const started: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const fn = (item: number) =>
    new Promise<string>((resolve, reject) => {
      started.push(item);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const done = () => {
        inFlight--;
        pending.delete(item);
      };
      pending.set(item, {
        resolve: (value) => {
          done();
          resolve(value);
        },
        reject: (error) => {
          done();
          reject(error);
        },
      });
    });
  const call = (item: number) => {
    const found = pending.get(item);
    if (!found)
      throw new Error(`item ${item} is not in flight (in flight: ${[...pending.keys()].join(", ")})`);
    return found;
  };
  return {
    fn,
    started,
    maxInFlight: () => maxInFlight,
    inFlight: () => [...pending.keys()],
    resolve: (item: number) => call(item).resolve(`done ${item}`),
    reject: (item: number, error: Error) => call(item).reject(error),
  };
}

/** outcome follows a promise without awaiting it, so a test can ask whether it has settled yet. */
function outcome<T>(promise: Promise<T>) {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error: unknown) => Object.assign(state, { settled: true, error }),
  );
  return state;
}

describe("mapLimit", () => {
  it("keeps the input order in its output whatever order the calls finish in", async () => {
    const calls = controlled();
    const result = outcome(mapLimit([0, 1, 2, 3, 4], 3, calls.fn));
    // Finish the newest call in flight each time, so completion order is the reverse of start order where it can be.
    const finished: number[] = [];
    for (let turn = 0; turn < 5; turn++) {
      await settle();
      const newest = Math.max(...calls.inFlight());
      finished.push(newest);
      calls.resolve(newest);
    }
    await settle();
    expect(finished).not.toEqual([...finished].sort((a, b) => a - b));
    expect(result).toEqual({ settled: true, value: ["done 0", "done 1", "done 2", "done 3", "done 4"] });
  });

  it.each([
    { name: "a limit below the item count", limit: 2, items: 6 },
    { name: "a limit of one (one call at a time)", limit: 1, items: 3 },
    { name: "a limit above the item count", limit: 10, items: 4 },
  ])("has at most `limit` calls in flight, and uses them: $name", async ({ limit, items }) => {
    const calls = controlled();
    const input = Array.from({ length: items }, (_, i) => i);
    const result = outcome(mapLimit(input, limit, calls.fn));
    const inFlightEachTurn: number[] = [];
    // Bounded, so a mapLimit that never settles fails the test instead of hanging it.
    for (let turn = 0; turn < 100 && !result.settled; turn++) {
      await settle();
      inFlightEachTurn.push(calls.inFlight().length);
      const oldest = Math.min(...calls.inFlight());
      if (Number.isFinite(oldest)) calls.resolve(oldest);
    }
    expect(result.settled).toBe(true);
    expect(calls.maxInFlight()).toBe(Math.min(limit, items));
    // Until the last items, a slot freed by a finished call is filled again at once.
    expect(inFlightEachTurn[items - Math.min(limit, items)]).toBe(Math.min(limit, items));
    expect(calls.started).toEqual(input);
  });

  it("starts no call after one failed, waits for those in flight, then throws the first error", async () => {
    const calls = controlled();
    const result = outcome(mapLimit([0, 1, 2, 3, 4], 3, calls.fn));
    await settle();
    expect(calls.inFlight()).toEqual([0, 1, 2]);
    const first = new Error("item 1 failed");
    calls.reject(1, first);
    await settle();
    // Items 0 and 2 still run: mapLimit has not settled, and nothing new started in the freed slot.
    expect(result.settled).toBe(false);
    expect(calls.started).toEqual([0, 1, 2]);
    calls.reject(2, new Error("item 2 failed too"));
    await settle();
    expect(result.settled).toBe(false);
    calls.resolve(0);
    await settle();
    expect(calls.started).toEqual([0, 1, 2]);
    expect(result).toEqual({ settled: true, error: first });
  });

  it("maps nothing to nothing without calling", async () => {
    const calls = controlled();
    expect(await mapLimit([], 4, calls.fn)).toEqual([]);
    expect(calls.started).toEqual([]);
  });
});

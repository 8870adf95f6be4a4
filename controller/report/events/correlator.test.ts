import { describe, expect, it } from "vitest";
import { createManualTime } from "../../../test/manual-time.js";
import { COMBINED_PREFIX, type CorrelatorLimits, createEventCorrelator } from "./correlator.js";
import type { ServiceEventReason } from "./service-events.js";

const MINUTE = 60_000;

function correlator(limits: Partial<CorrelatorLimits> = {}) {
  const time = createManualTime();
  const events = createEventCorrelator({ clock: time, namePrefix: "gitops-abc", limits });
  const emit = (message: string, service = "web", reason: ServiceEventReason = "SyncFailed") =>
    events.correlate({ reason, service, message });
  return { time, emit };
}

describe("createEventCorrelator", () => {
  it("writes an Event once, then counts its repeats on it, keeping its name and first time", async () => {
    const { time, emit } = correlator();
    const first = emit("commit abc failed: denied");
    await time.advance(MINUTE);
    const second = emit("commit abc failed: denied");
    await time.advance(MINUTE);
    const third = emit("commit abc failed: denied");
    expect(first?.name).toMatch(/^gitops-abc\.[0-9a-f]+$/);
    expect([first?.count, second?.count, third?.count]).toEqual([1, 2, 3]);
    expect(new Set([first?.name, second?.name, third?.name]).size).toBe(1);
    expect(third?.firstTimestamp).toBe(first?.firstTimestamp);
    expect(third?.lastTimestamp).toBe(time.now());
  });

  it("writes a different message, service or reason as an Event of its own", () => {
    const { emit } = correlator();
    const names = [
      emit("one")?.name,
      emit("two")?.name,
      emit("one", "api")?.name,
      emit("one", "web", "SyncSucceeded")?.name,
    ];
    expect(new Set(names).size).toBe(4);
  });

  it("drops what is past the burst of one service and reason, and lets one through per refill period", async () => {
    const { time, emit } = correlator({ burst: 3, refillMs: 5 * MINUTE });
    const burst = Array.from({ length: 5 }, (_, i) => emit(`failure ${i}`));
    expect(burst.map((event) => event !== undefined)).toEqual([true, true, true, false, false]);
    // Another service, or another reason, has a bucket of its own.
    expect(emit("failure 0", "api")).toBeDefined();
    expect(emit("failure 0", "web", "Pruned")).toBeDefined();
    await time.advance(5 * MINUTE - 1);
    expect(emit("failure 5")).toBeUndefined();
    await time.advance(1);
    expect(emit("failure 6")).toBeDefined();
    expect(emit("failure 7")).toBeUndefined();
  });

  it("counts repeats it dropped, so the next write carries them all", async () => {
    const { time, emit } = correlator({ burst: 1, refillMs: 5 * MINUTE });
    expect(emit("denied")?.count).toBe(1);
    expect(emit("denied")).toBeUndefined();
    expect(emit("denied")).toBeUndefined();
    await time.advance(5 * MINUTE);
    expect(emit("denied")?.count).toBe(4);
  });

  it("combines more than maxSimilar different messages of one service and reason into one counted Event", () => {
    const { emit } = correlator({ maxSimilar: 3 });
    const events = ["a", "b", "c", "d", "e"].map((message) => emit(message));
    expect(events.map((event) => event?.message)).toEqual([
      "a",
      "b",
      `${COMBINED_PREFIX}c`,
      `${COMBINED_PREFIX}d`,
      `${COMBINED_PREFIX}e`,
    ]);
    expect(new Set(events.slice(2).map((event) => event?.name)).size).toBe(1);
    expect(events.slice(2).map((event) => event?.count)).toEqual([1, 2, 3]);
    // A message seen before the group was combined keeps its own Event.
    expect(emit("a")).toMatchObject({ message: "a", count: 2, name: events[0]?.name });
    // Other services are not combined with it.
    expect(emit("f", "api")?.message).toBe("f");
  });

  it("stops combining once a service's similar messages are a window apart", async () => {
    const { time, emit } = correlator({ maxSimilar: 2, similarWindowMs: 10 * MINUTE });
    emit("a");
    expect(emit("b")?.message).toBe(`${COMBINED_PREFIX}b`);
    await time.advance(10 * MINUTE + 1);
    expect(emit("c")?.message).toBe("c");
  });
});

import { describe, expect, it } from "vitest";
import { fitState } from "./fit-state.js";
import {
  type AuditEvent,
  type ControllerState,
  emptyServiceState,
  emptyState,
  type HistoryEntry,
} from "./state.js";

function event(id: number, padding = 0): AuditEvent {
  return {
    id: String(id),
    time: "2024-01-01T00:00:00Z",
    trigger: "poll",
    kind: "apply",
    service: "shop",
    repo: "o/r",
    commit: "c".repeat(40),
    result: "succeeded",
    objects: [{ kind: "ConfigMap", name: "x".repeat(padding), action: "configured" }],
    durationMs: 1,
  };
}

function stateWith(events: number, padding: number): ControllerState {
  return {
    ...emptyState(),
    services: { shop: { ...emptyServiceState(), commit: "abc" } },
    events: Array.from({ length: events }, (_, i) => event(i, padding)),
  };
}

const size = (s: ControllerState) => Buffer.byteLength(JSON.stringify(s));

describe("fitState", () => {
  const cases = [
    { name: "keeps a state that fits untouched", state: stateWith(10, 10), limit: 1_000_000, dropped: 0 },
    {
      name: "drops only as many oldest events as needed",
      state: stateWith(10, 1000),
      limit: size(stateWith(7, 1000)),
      dropped: 3,
    },
    {
      name: "drops every event when only the services fit",
      state: stateWith(3, 1000),
      limit: 200,
      dropped: 3,
    },
    {
      name: "keeps a state exactly at the limit",
      state: stateWith(2, 0),
      limit: size(stateWith(2, 0)),
      dropped: 0,
    },
  ];
  it.each(cases)("$name", ({ state, limit, dropped }) => {
    const fitted = fitState(state, limit);
    expect(fitted.dropped).toBe(dropped);
    expect(Buffer.byteLength(fitted.json)).toBeLessThanOrEqual(limit);
    const events = (JSON.parse(fitted.json) as ControllerState).events;
    expect(events.map((e) => e.id)).toEqual(state.events.slice(dropped).map((e) => e.id));
  });

  it("measures multi-byte characters in bytes", () => {
    const state = { ...emptyState(), events: [event(1), { ...event(2), error: "é".repeat(100) }] };
    // Counted in characters the JSON would fit exactly; in UTF-8 bytes it is 100 over.
    expect(fitState(state, JSON.stringify(state).length).dropped).toBe(1);
  });

  it("cuts every service's history to its newest entries, only once no audit event is left", () => {
    const history = (service: string): HistoryEntry[] =>
      Array.from({ length: 50 }, (_, i) => ({
        commit: `${service}${i}`.padEnd(40, "0"),
        time: "2024-01-01T00:00:00.000Z",
        trigger: "poll",
        objects: i,
      }));
    const withHistories = (keep: number, events: number): ControllerState => ({
      ...stateWith(events, 0),
      services: {
        shop: { ...emptyServiceState(), history: history("shop").slice(0, keep) },
        cart: { ...emptyServiceState(), history: history("cart").slice(0, keep) },
      },
    });
    const fitted = fitState(withHistories(50, 5), size(withHistories(30, 0)));
    expect(fitted).toMatchObject({ dropped: 5, historyKept: 30 });
    const kept = JSON.parse(fitted.json) as ControllerState;
    expect(kept.events).toEqual([]);
    expect(kept.services.shop?.history).toEqual(history("shop").slice(0, 30));
    expect(kept.services.cart?.history).toEqual(history("cart").slice(0, 30));
    // With room for the events, no history is cut.
    expect(fitState(withHistories(50, 5), size(withHistories(50, 2)))).toMatchObject({ dropped: 3 });
    expect(fitState(withHistories(50, 5), size(withHistories(50, 2)))).not.toHaveProperty("historyKept");
  });

  it("refuses a state too big even without events, naming the way out", () => {
    expect(() => fitState(stateWith(1, 0), 50, "ConfigMap ns/s")).toThrow(
      expect.objectContaining({
        code: "E_STATE",
        message: expect.stringMatching(/use the file state store/),
      }),
    );
  });
});

import type { ControllerState } from "./state.js";
import { StateStoreError } from "./store.js";

/** FittedState is the serialized state and what was left out to fit. */
export interface FittedState {
  readonly json: string;
  /** How many of the oldest audit events were dropped. */
  readonly dropped: number;
  /** When histories had to be cut too: the newest entries each service kept. */
  readonly historyKept?: number;
}

/**
 * fitState serializes the state in at most `maxBytes` UTF-8 bytes, dropping the fewest oldest audit events that
 * makes it fit and, when no audit event is left, the fewest oldest entries of every service's history. It throws a
 * StateStoreError when even that would not fit.
 */
export function fitState(state: ControllerState, maxBytes: number, where = "state"): FittedState {
  const fits = (json: string) => Buffer.byteLength(json, "utf8") <= maxBytes;
  const withEvents = (drop: number) =>
    JSON.stringify(drop === 0 ? state : { ...state, events: state.events.slice(drop) });
  const whole = withEvents(0);
  if (fits(whole)) return { json: whole, dropped: 0 };
  const dropped = state.events.length;
  if (fits(withEvents(dropped))) {
    const drop = smallestFitting(1, dropped, (n) => fits(withEvents(n)));
    return { json: withEvents(drop), dropped: drop };
  }
  const longest = Math.max(0, ...Object.values(state.services).map((s) => s.history?.length ?? 0));
  const withHistories = (keep: number) => JSON.stringify(cutHistories({ ...state, events: [] }, keep));
  const bare = withHistories(0);
  if (!fits(bare)) {
    throw new StateStoreError(
      `${where}: the state of ${Object.keys(state.services).length} services is ${Buffer.byteLength(bare)} bytes ` +
        `without any audit event or history, over the ${maxBytes}-byte limit; use the file state store`,
    );
  }
  // Cutting histories shorter never makes the JSON longer, so the longest that fits is bisected like the events.
  const cut = smallestFitting(1, longest, (n) => fits(withHistories(longest - n)));
  return { json: withHistories(longest - cut), dropped, historyKept: longest - cut };
}

/** smallestFitting bisects the smallest n in [low, high] for which `fits(n)`, given that fits(high) holds. */
function smallestFitting(low: number, high: number, fits: (n: number) => boolean): number {
  let from = low;
  let to = high;
  while (from < to) {
    const mid = Math.floor((from + to) / 2);
    if (fits(mid)) to = mid;
    else from = mid + 1;
  }
  return to;
}

function cutHistories(state: ControllerState, keep: number): ControllerState {
  const services = Object.fromEntries(
    Object.entries(state.services).map(([name, service]) => [
      name,
      service.history ? { ...service, history: service.history.slice(0, keep) } : service,
    ]),
  );
  return { ...state, services };
}

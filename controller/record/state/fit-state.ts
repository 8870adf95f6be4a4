import type { ControllerState } from "./state.js";
import { StateStoreError } from "./store.js";

/**
 * fitState serializes the state in at most `maxBytes` UTF-8 bytes, dropping the fewest oldest audit events that
 * makes it fit. It throws a StateStoreError when even no events at all would not fit.
 */
export function fitState(
  state: ControllerState,
  maxBytes: number,
  where = "state",
): { json: string; dropped: number } {
  const serialize = (drop: number) =>
    JSON.stringify(drop === 0 ? state : { ...state, events: state.events.slice(drop) });
  const fits = (json: string) => Buffer.byteLength(json, "utf8") <= maxBytes;
  const whole = serialize(0);
  if (fits(whole)) return { json: whole, dropped: 0 };
  const bare = serialize(state.events.length);
  if (!fits(bare)) {
    throw new StateStoreError(
      `${where}: the state of ${Object.keys(state.services).length} services is ${Buffer.byteLength(bare)} bytes ` +
        `without any audit event, over the ${maxBytes}-byte limit; use the file state store`,
    );
  }
  // Fewer events never make the JSON longer, so the smallest drop count that fits can be bisected.
  let low = 1;
  let high = state.events.length;
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    if (fits(serialize(mid))) high = mid;
    else low = mid + 1;
  }
  return { json: serialize(low), dropped: low };
}

import type { Logger } from "pino";
import { fitState } from "./fit-state.js";
import type { ControllerState } from "./state.js";

/**
 * fitConfigMap serializes a document for one ConfigMap of at most `maxBytes`, warning (with the ConfigMap's name)
 * about what had to be left out: the oldest audit events, then the oldest entries of each service's history.
 */
export function fitConfigMap(state: ControllerState, maxBytes: number, where: string, log: Logger): string {
  const { json, dropped, historyKept } = fitState(state, maxBytes, where);
  if (dropped > 0) {
    log.warn(
      { store: where, dropped, kept: state.events.length - dropped, bytes: Buffer.byteLength(json) },
      "state too big for a ConfigMap: dropped the oldest audit events",
    );
  }
  if (historyKept !== undefined) {
    log.warn(
      { store: where, historyKept, bytes: Buffer.byteLength(json) },
      `state too big for a ConfigMap even without audit events: kept the newest ${historyKept} landed ` +
        "commits of each service's history; older ones cannot be rolled back to",
    );
  }
  return json;
}

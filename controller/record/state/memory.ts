import { type ControllerState, emptyState } from "./state.js";
import type { StateStore } from "./store.js";

/**
 * createMemoryStateStore keeps the state in the process only: what `--dry-run` uses, so that a dry run remembers
 * what it printed within one run but never records anything as deployed.
 */
export function createMemoryStateStore(initial: ControllerState = emptyState()): StateStore {
  let state = structuredClone(initial);
  return {
    name: "memory",
    async load() {
      return structuredClone(state);
    },
    async save(next) {
      state = structuredClone(next);
    },
  };
}

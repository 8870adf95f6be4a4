import type { Logger } from "pino";
import type { Clock } from "../../common/clock.js";
import type { Config } from "../config/types.js";
import type { ControllerState } from "./state/state.js";
import type { StateStore } from "./state/store.js";

/** RecorderHold is the recorder's state in memory and whether the store last answered. */
export interface RecorderHold {
  state: ControllerState;
  reachable: boolean;
}

/** SaveDeps are the store a record is saved to and what laying a record over a fresher state needs. */
export interface SaveDeps {
  readonly store: StateStore;
  readonly config: Pick<Config, "services" | "repos">;
  readonly clock: Clock;
  readonly log: Logger;
}

/**
 * saveRecord saves the state that holds a record, already laid over the state in memory. A save the store refused
 * means another writer (a previous leader, another member) saved since we loaded in a way the store could not merge
 * itself (the ConfigMap store merges a member's own records into the others', see state/merge-services.ts): the
 * whole state is re-read and the record laid over it (`layOver`), once. If that fails too, the change still
 * happened: it stays in memory and marked, and is saved with the next write (see save-batch.ts); a restart re-applies
 * a sync, which server-side apply makes a no-op.
 */
export async function saveRecord(
  hold: RecorderHold,
  layOver: (state: ControllerState) => ControllerState,
  deps: SaveDeps,
): Promise<void> {
  const { store, log } = deps;
  try {
    await store.save(snapshot(hold.state));
    hold.reachable = true;
    return;
  } catch (error: unknown) {
    try {
      const fresh = await store.load();
      hold.state = layOver(fresh);
      await store.save(snapshot(hold.state));
      hold.reachable = true;
      log.warn(
        { err: error, store: store.name },
        "the stored state had changed; merged this service into it",
      );
    } catch (retryError: unknown) {
      hold.reachable = false;
      log.error(
        { err: retryError, store: store.name },
        "cannot save the state; will retry with the next result",
      );
    }
  }
}

/**
 * snapshot copies the services a save writes: the recorder keeps writing results into its state's services while
 * a save waits on the disk or the apiserver (see servicesInPlace), and a store saves what it was given, all of it
 * as of one moment.
 */
function snapshot(state: ControllerState): ControllerState {
  return { ...state, services: { ...state.services } };
}

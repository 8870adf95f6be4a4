import type { Logger } from "pino";
import type { Rebase } from "./configmap-write.js";
import { parseState } from "./parse-state.js";
import type { ControllerState } from "./state.js";
import { StateStoreError } from "./store.js";

/** Merged is what a rebase last merged: what is stored once the write it served succeeds. */
export interface Merged<T> {
  value: T;
}

/**
 * rebaseWith makes the Rebase of one write: it reads the document another writer stored, `merge`s this writer's
 * change over it, keeps the result in `merged` and returns it serialized. A document with an entry that does not
 * validate is not merged: the merge would drop that entry, and a load moves it aside with an error line instead.
 */
export function rebaseWith<T>(
  merge: (stored: ControllerState) => T | undefined,
  serialize: (value: T) => string,
  merged: Merged<T>,
  log: Logger,
  where: string,
): Rebase {
  return (text) => {
    const parsed = parseState(text);
    if (!parsed.ok || parsed.dropped.length > 0) return undefined;
    const value = merge(parsed.state);
    if (value === undefined) return undefined;
    merged.value = value;
    // Routine in a fleet (every member writes the index at each flush): not a warning.
    log.debug(
      { store: where },
      "the state was written by another member meanwhile; merged this one's changes into it",
    );
    return serialize(value);
  };
}

/**
 * changedByBoth is the error of a save that would write a record this store's caller changed over the same record
 * another writer changed since, as a merged write found it stored.
 */
export function changedByBoth(where: string): StateStoreError {
  return new StateStoreError(
    `${where} was changed by another writer since this controller read it, and so was what this one writes ` +
      "(a service both recorded); not overwriting it: load the state again before saving",
  );
}

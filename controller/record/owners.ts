import { type ObjectRef, refKey } from "../desired/render/types.js";
import type { ControllerState } from "./state/state.js";

/** Owner is the service that holds an object, and the file of git it came from when known. */
export interface Owner {
  readonly service: string;
  readonly path?: string;
}

/**
 * ownerLookup answers which service holds an object, from every service's inventory in the current state; it is
 * rebuilt only when the state changed, so a service recorded a moment ago is seen by the next one in the same run.
 */
export function ownerLookup(state: () => ControllerState): (ref: ObjectRef) => Owner | undefined {
  let built: { from: ControllerState; owners: Map<string, Owner> } | undefined;
  return (ref) => {
    const current = state();
    if (built?.from !== current) built = { from: current, owners: ownersIn(current) };
    return built.owners.get(refKey(ref));
  };
}

function ownersIn(state: ControllerState): Map<string, Owner> {
  const owners = new Map<string, Owner>();
  for (const [service, record] of Object.entries(state.services)) {
    const paths = new Map(record.objects.map((object) => [refKey(object), object.path]));
    for (const ref of record.inventory) {
      const path = paths.get(refKey(ref));
      owners.set(refKey(ref), { service, ...(path ? { path } : {}) });
    }
  }
  return owners;
}

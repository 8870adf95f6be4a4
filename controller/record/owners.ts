import { type ObjectRef, refKey } from "../desired/render/types.js";
import type { ControllerState, ServiceState } from "./state/state.js";

/** Owner is the service that holds an object, and the file of git it came from when known. */
export interface Owner {
  readonly service: string;
  readonly path?: string;
}

/**
 * ownerLookup answers which service holds an object, from every service's inventory in the current state. When the
 * state changed it updates only the services whose record changed (records are replaced, never edited), so a
 * service recorded a moment ago is seen by the next one in the same run, and recording the 10 000th service does not
 * index every object of the other 9 999 again.
 */
export function ownerLookup(state: () => ControllerState): (ref: ObjectRef) => Owner | undefined {
  let from: ControllerState | undefined;
  const owners = new Map<string, Owner>();
  const indexed = new Map<string, { record: ServiceState; keys: readonly string[] }>();
  const forget = (service: string) => {
    for (const key of indexed.get(service)?.keys ?? []) {
      if (owners.get(key)?.service === service) owners.delete(key);
    }
    indexed.delete(service);
  };
  return (ref) => {
    const current = state();
    if (from !== current) {
      for (const service of indexed.keys()) if (!(service in current.services)) forget(service);
      // Not Object.entries: its pairs, for every service after every result, were 30 MB of garbage at 1 000 services.
      for (const service in current.services) {
        const record = current.services[service] as ServiceState;
        if (indexed.get(service)?.record === record) continue;
        forget(service);
        const entries = ownedBy(service, record);
        for (const [key, owner] of entries) owners.set(key, owner);
        indexed.set(service, { record, keys: entries.map(([key]) => key) });
      }
      from = current;
    }
    return owners.get(refKey(ref));
  };
}

function ownedBy(service: string, record: ServiceState): [string, Owner][] {
  const paths = new Map(record.objects.map((object) => [refKey(object), object.path]));
  return record.inventory.map((ref) => {
    const path = paths.get(refKey(ref));
    return [refKey(ref), { service, ...(path ? { path } : {}) }];
  });
}

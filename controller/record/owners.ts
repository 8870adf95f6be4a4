import { type ObjectRef, refKey } from "../desired/render/types.js";
import type { ControllerState, ServiceState } from "./state/state.js";
import { type ServicesJournal, servicesJournal } from "./with-result.js";

/** Owner is the service that holds an object, and the file of git it came from when known. */
export interface Owner {
  readonly service: string;
  readonly path?: string;
}

/** OwnerLookupOptions are what a lookup tells of its work. */
export interface OwnerLookupOptions {
  /** examined hears how many services a look compared with what it had indexed, when it compared any. */
  readonly examined?: (services: number) => void;
}

/**
 * ownerLookup answers which service holds an object, from every service's inventory in the current state. It
 * indexes a service again only when its record changed, and finds those by reading, from where it left off, the
 * journal of the services the recorder writes in place (see servicesInPlace): a service recorded a moment ago is
 * seen by the next look, and a first sync of 10 000 services costs each look the results since the last one, not a
 * walk of every service (1.5 ms a walk at 10 000, after every result, issue 32). A state whose services are another
 * map (a load, a merge of other members' records, a suspension), or whose journal started again, is walked once.
 * Each lookup keeps its own cursor, so several may follow one recorder.
 */
export function ownerLookup(
  state: () => ControllerState,
  options: OwnerLookupOptions = {},
): (ref: ObjectRef) => Owner | undefined {
  // What the last look saw: the services map, its journal and how far into it.
  let seenServices: object | undefined;
  let seenJournal: ServicesJournal | undefined;
  let cursor = 0;
  const owners = new Map<string, Owner>();
  const indexed = new Map<string, { record: ServiceState; keys: readonly string[] }>();
  const forget = (service: string) => {
    for (const key of indexed.get(service)?.keys ?? []) {
      if (owners.get(key)?.service === service) owners.delete(key);
    }
    indexed.delete(service);
  };
  // Records are replaced, never edited, and an in-place map is only ever set through its journal: so the same record
  // object holds the same inventory, and a name neither journaled nor walked still holds the record indexed.
  const index = (service: string, record: ServiceState | undefined) => {
    if (indexed.get(service)?.record === record) return;
    forget(service);
    if (record === undefined) return;
    const entries = ownedBy(service, record);
    for (const [key, owner] of entries) owners.set(key, owner);
    indexed.set(service, { record, keys: entries.map(([key]) => key) });
  };
  const walk = (services: Readonly<Record<string, ServiceState>>): number => {
    for (const service of indexed.keys()) if (!Object.hasOwn(services, service)) forget(service);
    let examined = 0;
    // Not Object.entries: its pairs, for every service after every result, were 30 MB of garbage at 1 000 services.
    for (const service in services) {
      index(service, services[service]);
      examined += 1;
    }
    return examined;
  };
  return (ref) => {
    const { services } = state();
    const journal = servicesJournal(services);
    let examined = 0;
    if (journal !== undefined && journal === seenJournal) {
      const { names } = journal;
      for (let at = cursor; at < names.length; at++) {
        const service = names[at] as string;
        index(service, services[service]);
      }
      examined = names.length - cursor;
    } else if (journal !== undefined || services !== seenServices) {
      examined = walk(services);
    }
    seenServices = services;
    seenJournal = journal;
    cursor = journal?.names.length ?? 0;
    if (examined > 0) options.examined?.(examined);
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

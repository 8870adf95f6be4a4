import { isDeepStrictEqual } from "node:util";
import type { RecordDigest } from "./changed-shards.js";
import type { ServiceState } from "./state.js";

type Services = Readonly<Record<string, ServiceState>>;

/**
 * mergeServices lays the records one writer changed over those another writer stored since, for a write the
 * apiserver refused with 409 Conflict. `given` is what the writer had when it last read or wrote the ConfigMap,
 * `mine` what it has now, `theirs` what is stored now.
 *
 * A record this writer changed or removed since `given` wins: in a fleet only a service's owner records its syncs
 * (and takes a person's suspend or rollback of it, see controller/loop/service-control.ts), so a record a member
 * changed is one of its own services. Every other record is taken from `theirs`, as another member left it. A
 * record both changed, each differently, means two writers each took the service for theirs (a leader that lost
 * its Lease, a member frozen past its own): it is not merged (`undefined`), so the write is refused as before and
 * the caller reads the whole state again before it decides (see save-record.ts).
 */
export function mergeServices(
  theirs: Services,
  given: Services,
  mine: Services,
  digestOf: (record: ServiceState) => RecordDigest,
): Services | undefined {
  const merged: Record<string, ServiceState> = { ...theirs };
  for (const name of new Set([...Object.keys(given), ...Object.keys(mine)])) {
    const was = given[name];
    const now = mine[name];
    // The same digest is the same record (most are the very objects read); another digest may be its keys' order.
    const same = was !== undefined && now !== undefined && digestOf(was).digest === digestOf(now).digest;
    if (same || sameValue(was, now)) continue;
    const stored = theirs[name];
    if (!sameValue(stored, was) && !sameValue(stored, now)) return undefined;
    if (now === undefined) delete merged[name];
    else merged[name] = now;
  }
  return merged;
}

/**
 * sameValue compares two values as JSON, whatever the order of their keys: a record read back from the apiserver
 * has its keys in the order the state's schema lists them (parse-state.ts), not in the order the recorder set them.
 */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  return isDeepStrictEqual(JSON.parse(JSON.stringify(a)), JSON.parse(JSON.stringify(b)));
}

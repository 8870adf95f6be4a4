import { claimsOf, type FleetRequest, type MemberLease, requestsOf } from "./member-lease.js";

/** Sighting is a member Lease's version and when (monotonic, on this member's clock) it was first seen. */
export interface Sighting {
  readonly version: string | undefined;
  readonly at: number;
}

/**
 * LiveMember is a member whose Lease has not expired: who it is, its Lease, the renew time it last wrote, and the
 * services it claims.
 */
export interface LiveMember {
  readonly identity: string;
  readonly lease: string;
  readonly renewTime?: string;
  readonly claims: ReadonlySet<string>;
  /** requests are the latest sync requests that reached the member, which it passes on. */
  readonly requests?: readonly FleetRequest[];
}

/** MemberView is what one read of the member Leases showed: the live members, sorted, and every Lease's sighting. */
export interface MemberView {
  readonly live: readonly LiveMember[];
  readonly sightings: ReadonlyMap<string, Sighting>;
}

/**
 * liveMembers reads the members off their Leases: a Lease with a holder is live until it has gone unchanged for its
 * duration, timed on this member's monotonic clock from when it first saw that version (client-go's rule), so
 * neither clock skew between nodes nor a wall-clock step ends a member early. A Lease seen for the first time counts
 * as renewed now: a member that just started waits a whole duration before counting a silent one out. A released
 * Lease (no holder) is out at once. Members are sorted by identity, so every member lists them alike.
 */
export function liveMembers(
  leases: readonly MemberLease[],
  previous: ReadonlyMap<string, Sighting>,
  now: number,
  defaultSeconds: number,
): MemberView {
  const sightings = new Map<string, Sighting>();
  const live: LiveMember[] = [];
  for (const lease of leases) {
    const name = lease.metadata.name;
    const version = lease.metadata.resourceVersion;
    const before = previous.get(name);
    const sighting = before && before.version === version ? before : { version, at: now };
    sightings.set(name, sighting);
    const identity = lease.spec?.holderIdentity;
    const seconds = lease.spec?.leaseDurationSeconds ?? defaultSeconds;
    if (!identity || now >= sighting.at + seconds * 1000) continue;
    const requests = requestsOf(lease);
    live.push({
      identity,
      lease: name,
      ...(lease.spec?.renewTime ? { renewTime: lease.spec.renewTime } : {}),
      claims: claimsOf(lease),
      ...(requests.length > 0 ? { requests } : {}),
    });
  }
  live.sort((a, b) => (a.identity < b.identity ? -1 : a.identity > b.identity ? 1 : 0));
  return { live, sightings };
}

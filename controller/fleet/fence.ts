/** Claims are the services each live member's Lease says it holds, by member, as last read. */
export type Claims = ReadonlyMap<string, ReadonlySet<string>>;

/** FenceInput is what one member knows when it decides what to hold and what to work on. */
export interface FenceInput {
  /** identity is this member. */
  readonly identity: string;
  /** owners is the assignment this member computed from the live members it last read (assign-owners.ts). */
  readonly owners: ReadonlyMap<string, string>;
  /** read are the live members' claims in that same read, this member's own as the apiserver had it. */
  readonly read: Claims;
  /** claimed is what this member's Lease says now: the claims its last successful renewal wrote. */
  readonly claimed: ReadonlySet<string>;
}

/** FenceDecision is what a member holds and does next. */
export interface FenceDecision {
  /** claim is what its Lease should say from its next renewal on. */
  readonly claim: ReadonlySet<string>;
  /** work are the services it may sync: assigned to it, claimed, read back, and claimed by no other live member. */
  readonly work: ReadonlySet<string>;
  /** waiting are the services assigned to it that another live member still holds: handed over once released. */
  readonly waiting: ReadonlySet<string>;
}

/**
 * fence decides which services a member holds and works on so that no service is ever worked on by two members,
 * whatever each one's view of the membership: a member claims a service in its own Lease only when no other live
 * member claims it, and works on it only once a read made after its claim landed shows its claim and no other.
 * Reads of the Leases are linearizable, so of two members that claimed the same service, the later one's read sees
 * the earlier claim. When two claims meet (both claimed before either read the other), the member that is not the
 * owner in its own view lets go, and when both think they own it (their views of the membership differ), the
 * lesser identity keeps it: neither works on it meanwhile. A service no longer assigned to the member is let go of;
 * the caller stops working on it before its Lease stops claiming it.
 */
export function fence(input: FenceInput): FenceDecision {
  const { identity, owners, read, claimed } = input;
  const mine = read.get(identity) ?? new Set<string>();
  const rivalsOf = (service: string) =>
    [...read]
      .filter(([member, claims]) => member !== identity && claims.has(service))
      .map(([member]) => member);
  const claim = new Set<string>();
  const work = new Set<string>();
  const waiting = new Set<string>();
  for (const [service, owner] of owners) {
    if (owner !== identity) continue;
    const rivals = rivalsOf(service);
    if (rivals.length === 0) {
      claim.add(service);
      if (claimed.has(service) && mine.has(service)) work.add(service);
      continue;
    }
    waiting.add(service);
    if (claimed.has(service) && rivals.every((rival) => identity < rival)) claim.add(service);
  }
  return { claim, work, waiting };
}

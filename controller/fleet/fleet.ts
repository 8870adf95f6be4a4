import type { Logger } from "pino";
import { type LeaseClock, systemLeaseClock } from "../../common/clock.js";
import { rememberingOwners } from "./assign-owners.js";
import { fence } from "./fence.js";
import type { LiveMember } from "./live-members.js";
import type { FleetRequest } from "./member-lease.js";
import type { Membership } from "./membership.js";

/**
 * SETTLE_MS is the pause before the next read while a claim waits to be read back: a claim's early renewal takes a
 * round trip, not a whole tick, so a member starts on what it gained within moments.
 */
const SETTLE_MS = 250;

/** FleetOptions configure {@link createFleet}. */
export interface FleetOptions {
  readonly membership: Membership;
  /** services are every configured service's name: what the members share out. */
  readonly services: readonly string[];
  /**
   * letGo stops working on services assigned to another member and writes what was recorded for them. This
   * member's Lease keeps claiming them until it resolves, so their new owner starts only after that.
   */
  readonly letGo: (services: ReadonlySet<string>) => Promise<void>;
  /** onGained hears the services this member may work on from now, `first` for the first it ever gets. */
  readonly onGained: (services: ReadonlySet<string>, first: boolean) => void;
  /** onRequest hears a sync request that reached another member (a push webhook, a manual sync), once. */
  readonly onRequest?: (request: Omit<FleetRequest, "id">) => void;
  /** onView hears each read of the members: the view and the services taken over so far (metrics). */
  readonly onView?: (view: FleetView, moves: number) => void;
  /** tickMs is the pause between two reads of the members; the membership's renew interval suits it. */
  readonly tickMs?: number;
  /** freshForMs is how long a read of the members lets this member work: under the Lease's renew deadline. */
  readonly freshForMs?: number;
  readonly clock?: LeaseClock;
  readonly log: Logger;
}

/** FleetMember is one live member as this member last read it: who, how many services it owns, its last renewal. */
export interface FleetMember {
  readonly member: string;
  readonly services: number;
  readonly renewTime?: string;
}

/** FleetView is this member's last read of the fleet: the live members and every service's owner. */
export interface FleetView {
  readonly identity: string;
  readonly members: readonly FleetMember[];
  readonly owners: ReadonlyMap<string, string>;
}

/** Fleet is this process as one member among several controllers that share the services out between them. */
export interface Fleet {
  readonly identity: string;
  /** start renews this member's Lease and reads the members every tick until stopped. */
  start(): void;
  /** stop ends the reads, lets go of every service, and releases the Lease unless `release: false`. */
  stop(options?: { release?: boolean }): Promise<void>;
  /**
   * works says whether this member may sync a service now: assigned to it, claimed alone, and known from a read
   * of the members recent enough that no other member can have taken it meanwhile.
   */
  works(service: string): boolean;
  /** current is true while this member holds its Lease and its last read of the members is recent enough. */
  current(): boolean;
  /** alone is true while this member is the only live one: nobody else writes the state. */
  alone(): boolean;
  /** leads is true for the first live member by identity, for work only one member does (pull request previews). */
  leads(): boolean;
  view(): FleetView;
  /** moves counts the services this member took over from another member since it started. */
  moves(): number;
  /**
   * passOn tells the other members of a sync request that reached this one, so that each syncs its own services of
   * it at once rather than at its next poll.
   */
  passOn(request: Omit<FleetRequest, "id">): void;
}

/**
 * createFleet shares the services out between the live members: every tick it reads the member Leases, computes
 * the same owners as every other member (assign-owners.ts) and applies the hand-over rule (fence.ts): it claims
 * what is assigned to it, works on what it claimed alone, and lets go of what moved away only once its work on it
 * stopped. Work is allowed only within `freshForMs` of the read it was decided on, so a member that was frozen
 * (SIGSTOP, a long pause) applies nothing when it wakes before it has read the members again.
 */
export function createFleet(options: FleetOptions): Fleet {
  const {
    membership,
    letGo,
    onGained,
    tickMs = 2_000,
    freshForMs = 10_000,
    clock = systemLeaseClock,
  } = options;
  const { identity } = membership;
  const log = options.log.child({ member: identity });
  let work: ReadonlySet<string> = new Set();
  const assignOwners = rememberingOwners();
  let decidedAt: number | undefined;
  let view: FleetView = { identity, members: [], owners: new Map() };
  let liveCount = 0;
  let moved = 0;
  let everGained = false;
  let joined = false;
  let settling = false;
  let startedAt = 0;
  const releasing = new Set<string>();
  let running: Promise<void> | undefined;
  let stopper: AbortController | undefined;
  const fresh = () =>
    decidedAt !== undefined && membership.holds() && clock.monotonic() < decidedAt + freshForMs;

  async function tick(signal: AbortSignal): Promise<void> {
    const sent = clock.monotonic();
    const read = await membership.read(signal);
    if (!membership.holds() || !read.live.some((member) => member.identity === identity)) {
      // Not counted in yet (or out): what it worked on is the others' to take once its claims are let go.
      handOver(new Set(work));
      work = new Set();
      membership.claim(new Set(releasing));
      // A member that just started reads before its first renewal landed, a round trip away: it reads again within
      // moments, for one tick at most (a renewal that keeps failing is retried at the membership's own pace).
      settling = !joined && clock.monotonic() < startedAt + tickMs;
      return;
    }
    // Pods of a rollout start within moments of each other: a member that waits one tick after its Lease is seen
    // finds the others that started with it, instead of taking every service and handing most of them on.
    if (!joined) {
      joined = true;
      settling = false;
      return;
    }
    hearRequests(read.live);
    const owners = assignOwners(
      read.live.map((member) => member.identity),
      options.services,
    );
    const decision = fence({ identity, owners, read: claimsIn(read.live), claimed: membership.claimed() });
    const gained = [...decision.work].filter((service) => !work.has(service));
    const lost = [...work].filter((service) => !decision.work.has(service));
    moved += [...owners].filter(([service, owner]) => owner === identity && takenFrom(view, service)).length;
    work = decision.work;
    decidedAt = sent;
    handOver(new Set(lost));
    membership.claim(new Set([...decision.claim, ...releasing]));
    // Claimed, not yet read back alone: read again as soon as the renewal carrying the claim may have landed.
    settling = [...decision.claim].some(
      (service) => !decision.work.has(service) && !decision.waiting.has(service),
    );
    view = { identity, members: membersOf(read.live, owners), owners };
    liveCount = read.live.length;
    options.onView?.(view, moved);
    if (gained.length > 0) {
      log.info({ gained: gained.length, working: work.size, members: liveCount }, "fleet: services gained");
      onGained(new Set(gained), !everGained);
      everGained = true;
    }
  }

  // What each other member's Lease passed on when last read: a member seen for the first time has its requests
  // taken as heard, as they were asked before this member read them and its own start syncs everything anyway.
  const heard = new Map<string, ReadonlySet<string>>();
  function hearRequests(live: readonly LiveMember[]): void {
    for (const member of live) {
      if (member.identity === identity) continue;
      const requests = member.requests ?? [];
      const before = heard.get(member.identity);
      if (before) {
        for (const { id: _id, ...request } of requests.filter((request) => !before.has(request.id)))
          options.onRequest?.(request);
      }
      heard.set(member.identity, new Set(requests.map((request) => request.id)));
    }
  }

  let requestCount = 0;
  // Unique across this member's restarts too: a reader that missed the restart must not take a new id for an old one.
  const requestPrefix = `${clock.now().toString(36)}-`;

  function handOver(services: ReadonlySet<string>): void {
    if (services.size === 0) return;
    for (const service of services) releasing.add(service);
    log.info({ services: services.size }, "fleet: handing services over once their work stops");
    void letGo(services)
      .catch((error: unknown) => log.warn({ err: error }, "fleet: letting go of services failed"))
      .finally(() => {
        for (const service of services) releasing.delete(service);
      });
  }

  async function readLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await tick(signal);
      } catch (error: unknown) {
        if (!signal.aborted) log.warn({ err: error }, "fleet: cannot read the members; retrying");
      }
      await clock.sleep(settling ? Math.min(SETTLE_MS, tickMs) : tickMs, signal);
    }
  }

  return {
    identity,
    start() {
      if (running) return;
      membership.start();
      startedAt = clock.monotonic();
      stopper = new AbortController();
      running = readLoop(stopper.signal);
    },
    async stop({ release = true } = {}) {
      stopper?.abort();
      await running;
      running = undefined;
      const held = new Set(work);
      work = new Set();
      if (held.size > 0)
        await letGo(held).catch((error: unknown) =>
          log.warn({ err: error }, "fleet: writing the records of its services before stopping failed"),
        );
      await membership.stop({ release });
    },
    works: (service) => work.has(service) && fresh(),
    current: fresh,
    alone: () => liveCount <= 1,
    leads: () => fresh() && view.members[0]?.member === identity,
    view: () => view,
    moves: () => moved,
    passOn(request) {
      requestCount += 1;
      membership.passOn({ ...request, id: `${requestPrefix}${requestCount}` });
    },
  };
}

/** takenFrom says whether a service was another member's in the last view: moving it here is a move. */
function takenFrom(view: FleetView, service: string): boolean {
  const before = view.owners.get(service);
  return before !== undefined && before !== view.identity;
}

function claimsIn(live: readonly LiveMember[]): ReadonlyMap<string, ReadonlySet<string>> {
  return new Map(live.map((member) => [member.identity, member.claims]));
}

function membersOf(live: readonly LiveMember[], owners: ReadonlyMap<string, string>): FleetMember[] {
  const counts = new Map<string, number>();
  for (const owner of owners.values()) counts.set(owner, (counts.get(owner) ?? 0) + 1);
  return live.map((member) => ({
    member: member.identity,
    services: counts.get(member.identity) ?? 0,
    ...(member.renewTime ? { renewTime: member.renewTime } : {}),
  }));
}

import type { Logger } from "pino";
import { type LeaseClock, systemLeaseClock } from "../../common/clock.js";
import type { KubeRequest } from "../../kube/http.js";
import { lazyKubeRequest } from "../../kube/kubeconfig.js";
import { liveMembers, type MemberView, type Sighting } from "./live-members.js";
import type { FleetRequest, MemberLease } from "./member-lease.js";
import {
  listMemberLeases,
  type MemberLeaseTarget,
  MembershipError,
  releaseMemberLease,
  renewMemberLease,
} from "./member-lease-api.js";

/** MembershipOptions configure {@link createMembership}. */
export interface MembershipOptions {
  namespace: string;
  /** identity is this member's pod name; its Lease is named after it. */
  identity: string;
  /** leaseDurationMs is how long the others wait, after they last saw this member's Lease change, to count it out. */
  leaseDurationMs?: number;
  /** renewDeadlineMs is how long this member counts itself in without a successful renewal. */
  renewDeadlineMs?: number;
  /** renewIntervalMs is the pause between two renewals; each gets as long to answer. */
  renewIntervalMs?: number;
  request?: KubeRequest;
  clock?: LeaseClock;
  log: Logger;
}

/** Membership is this member's own Lease, renewed in the background, and reads of everyone's. */
export interface Membership {
  readonly identity: string;
  /** start renews this member's Lease every renew interval until stopped; calling it again does nothing. */
  start(): void;
  /**
   * stop ends renewing and, unless `release: false` (as a crash would leave it), releases the Lease so the others
   * count this member out at their next read.
   */
  stop(options?: { release?: boolean }): Promise<void>;
  /**
   * holds says whether this member may still act as one: its last renewal was sent within the renew deadline,
   * shorter than the Lease's duration, so it stops before any other member could count it out.
   */
  holds(): boolean;
  /** read lists the member Leases and says who is live now and what each claims, as every member reads it. */
  read(signal?: AbortSignal): Promise<MemberView>;
  /**
   * claim sets the services this member's Lease claims, written at once by an early renewal. Letting go of a service
   * is the caller's last step: it stops working on it first (fence.ts).
   */
  claim(services: ReadonlySet<string>): void;
  /** claimed is what this member's Lease says it holds: what its last successful renewal wrote. */
  claimed(): ReadonlySet<string>;
  /** passOn writes a sync request that reached this member into its Lease at once, for the others to act on. */
  passOn(request: FleetRequest): void;
}

/**
 * REQUESTS_KEPT is how many sync requests a Lease carries: a reader reads every Lease each renew interval, so only a
 * burst of more requests than this within one interval loses the oldest (a later poll still finds their commits).
 */
export const REQUESTS_KEPT = 16;

/**
 * MEMBER_LEASE_SECONDS is a member Lease's duration: how long the others wait, after they last saw it change, to
 * count the member out; each member writes it into its Lease's spec. A pod that waits for the members to stop
 * (controller/start/await-no-members.ts) reads it for a Lease that states none, as the members do, so the two never
 * disagree on who is gone.
 */
export const MEMBER_LEASE_SECONDS = 15;

/**
 * createMembership makes this process a member: its own `coordination.k8s.io/v1` Lease, named after its pod and
 * renewed on an interval, is what tells the others it is alive (the design of client-go's leader election, with one
 * Lease per member instead of one for all). Timings mean what they mean there: 15 s Lease, 10 s renew deadline.
 */
export function createMembership(options: MembershipOptions): Membership {
  const {
    identity,
    leaseDurationMs = MEMBER_LEASE_SECONDS * 1000,
    renewDeadlineMs = 10_000,
    renewIntervalMs = 2_000,
    clock = systemLeaseClock,
    log,
  } = options;
  const target = memberTarget(options, { leaseDurationMs, renewDeadlineMs, renewIntervalMs });
  let lease: MemberLease | undefined;
  // When (monotonic) the last renewal that succeeded was sent: the others saw it no earlier.
  let renewedAt: number | undefined;
  let sightings: ReadonlyMap<string, Sighting> = new Map();
  let running: Promise<void> | undefined;
  let stopper: AbortController | undefined;
  let wanted: ReadonlySet<string> = new Set();
  let written: ReadonlySet<string> = new Set();
  // The latest sync requests that reached this member, passed on in its Lease (the newest REQUESTS_KEPT).
  let passing: readonly FleetRequest[] = [];
  // Aborted to renew before the interval is up when the claims change, even while a renewal is under way.
  let wake = new AbortController();

  async function renewLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const sent = clock.monotonic();
      const claims = wanted;
      wake = new AbortController();
      try {
        lease = await renewMemberLease(target, lease, claims, clock.now(), signal, passing);
        renewedAt = sent;
        written = claims;
      } catch (error: unknown) {
        if (!signal.aborted) log.warn({ err: error, identity }, "cannot renew this member's Lease; retrying");
      }
      await clock.sleep(renewIntervalMs, AbortSignal.any([signal, wake.signal]));
    }
  }

  return {
    identity,
    start() {
      if (running) return;
      stopper = new AbortController();
      running = renewLoop(stopper.signal);
    },
    async stop({ release = true } = {}) {
      if (!running) return;
      stopper?.abort();
      await running;
      running = undefined;
      const held = lease;
      lease = undefined;
      renewedAt = undefined;
      written = new Set();
      if (!release || !held) return;
      try {
        await releaseMemberLease(target, held, clock.now(), AbortSignal.timeout(renewIntervalMs));
      } catch (error: unknown) {
        log.warn(
          { err: error, identity },
          "cannot release this member's Lease; the others count it out once it expires",
        );
      }
    },
    holds() {
      return renewedAt !== undefined && clock.monotonic() < renewedAt + renewDeadlineMs;
    },
    claim(services) {
      if (services.size === wanted.size && [...services].every((service) => wanted.has(service))) return;
      wanted = new Set(services);
      wake.abort();
    },
    claimed: () => written,
    passOn(request) {
      passing = [...passing, request].slice(-REQUESTS_KEPT);
      wake.abort();
    },
    async read(signal = AbortSignal.timeout(renewIntervalMs)) {
      const listed = await listMemberLeases(target, signal);
      const view = liveMembers(listed, sightings, clock.monotonic(), target.leaseSeconds);
      sightings = view.sightings;
      return view;
    },
  };
}

/** memberTarget checks the member's identity and timings and names its Lease, as createMembership needs them. */
function memberTarget(
  options: MembershipOptions,
  timings: { leaseDurationMs: number; renewDeadlineMs: number; renewIntervalMs: number },
): MemberLeaseTarget {
  const { namespace, identity } = options;
  const { leaseDurationMs, renewDeadlineMs, renewIntervalMs } = timings;
  if (identity === "") throw new MembershipError("membership needs a non-empty identity (the pod's name)");
  if (!(leaseDurationMs > renewDeadlineMs && renewDeadlineMs > renewIntervalMs)) {
    throw new MembershipError(
      `membership needs leaseDuration > renewDeadline > renewInterval; got ${leaseDurationMs} ms, ` +
        `${renewDeadlineMs} ms and ${renewIntervalMs} ms`,
    );
  }
  return {
    namespace,
    identity,
    leaseSeconds: Math.ceil(leaseDurationMs / 1000),
    request: options.request ?? lazyKubeRequest(),
    timeoutMs: renewIntervalMs,
  };
}

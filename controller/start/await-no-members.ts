import type { Logger } from "pino";
import { type LeaseClock, systemLeaseClock } from "../../common/clock.js";
import type { KubeRequest } from "../../kube/http.js";
import { liveMembers, type Sighting } from "../fleet/live-members.js";
import { listMemberLeases } from "../fleet/member-lease-api.js";
import { MEMBER_LEASE_SECONDS } from "../fleet/membership.js";

/** NoMembersOptions configure {@link awaitNoMembers}. */
export interface NoMembersOptions {
  readonly namespace: string;
  /** identity is this pod's name: a member Lease of its own (left by an earlier run of it) is not waited for. */
  readonly identity: string;
  readonly request: KubeRequest;
  readonly clock?: LeaseClock;
  /** retryPeriodMs is the pause between two reads of the member Leases. */
  readonly retryPeriodMs?: number;
  readonly log: Logger;
  readonly signal: AbortSignal;
}

/**
 * awaitNoMembers resolves `true` once no other pod works as a member of the fleet: every other member Lease is
 * released or has gone unchanged for its duration, as the members themselves count each other out
 * (fleet/live-members.ts). It resolves `false` when `signal` aborts first. A pod that elects a leader
 * (`sharding: false`) waits for it before it campaigns: while the DaemonSet rolls from sharing the services out to
 * one leader, the old members still apply their services, and a leader beside them would apply the same ones.
 */
export async function awaitNoMembers(options: NoMembersOptions): Promise<boolean> {
  const {
    namespace,
    identity,
    request,
    clock = systemLeaseClock,
    retryPeriodMs = 2_000,
    log,
    signal,
  } = options;
  const target = { namespace, identity, leaseSeconds: MEMBER_LEASE_SECONDS, request, timeoutMs: 10_000 };
  let sightings: ReadonlyMap<string, Sighting> = new Map();
  let said = "";
  while (!signal.aborted) {
    try {
      const view = liveMembers(
        await listMemberLeases(target, signal),
        sightings,
        clock.monotonic(),
        MEMBER_LEASE_SECONDS,
      );
      sightings = view.sightings;
      const others = view.live.map((member) => member.identity).filter((member) => member !== identity);
      if (others.length === 0) return true;
      if (said !== others.join()) {
        said = others.join();
        log.info(
          { members: others },
          "waiting for the members of the fleet to stop before the leader election (pods of an older install may share the services out)",
        );
      }
    } catch (error: unknown) {
      if (!signal.aborted) log.warn({ err: error }, "could not read the member Leases; trying again");
    }
    await clock.sleep(retryPeriodMs, signal);
  }
  return false;
}

import { describe, expect, it } from "vitest";
import { liveMembers, type Sighting } from "./live-members.js";
import type { MemberLease } from "./member-lease.js";

function lease(
  identity: string | undefined,
  version: string,
  seconds = 15,
  renewTime = "2026-01-01T00:00:00.000000Z",
): MemberLease {
  return {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: { name: `simple-gitops-member-${identity ?? "gone"}`, resourceVersion: version },
    spec: {
      ...(identity ? { holderIdentity: identity } : {}),
      leaseDurationSeconds: seconds,
      renewTime,
    },
  };
}

/** watch reads the same Leases at each time in turn, carrying the sightings over, and names who was live each time. */
function watch(steps: readonly { at: number; leases: readonly MemberLease[] }[]): string[][] {
  let sightings: ReadonlyMap<string, Sighting> = new Map();
  return steps.map(({ at, leases }) => {
    const view = liveMembers(leases, sightings, at, 15);
    sightings = view.sightings;
    return view.live.map((member) => member.identity);
  });
}

describe("liveMembers", () => {
  it("counts a Lease seen for the first time as renewed now, whatever renew time it carries", () => {
    expect(watch([{ at: 1_000_000, leases: [lease("a", "1", 15, "1999-01-01T00:00:00.000000Z")] }])).toEqual([
      ["a"],
    ]);
  });

  it("counts a member out once its Lease went unchanged for its whole duration, on this member's clock", () => {
    const a = lease("a", "1");
    expect(
      watch([
        { at: 0, leases: [a] },
        { at: 14_999, leases: [a] },
        { at: 15_000, leases: [a] },
      ]),
    ).toEqual([["a"], ["a"], []]);
  });

  it("keeps a member that renewed, timing its expiry from when the new version was seen", () => {
    expect(
      watch([
        { at: 0, leases: [lease("a", "1")] },
        { at: 10_000, leases: [lease("a", "2")] },
        { at: 24_999, leases: [lease("a", "2")] },
        { at: 25_000, leases: [lease("a", "2")] },
      ]),
    ).toEqual([["a"], ["a"], ["a"], []]);
  });

  it("takes each Lease's own duration", () => {
    const short = lease("a", "1", 2);
    const long = lease("b", "1", 30);
    expect(
      watch([
        { at: 0, leases: [short, long] },
        { at: 2_000, leases: [short, long] },
      ]),
    ).toEqual([["a", "b"], ["b"]]);
  });

  it("counts a released Lease (no holder) out at once", () => {
    expect(watch([{ at: 0, leases: [lease(undefined, "1"), lease("b", "1")] }])).toEqual([["b"]]);
  });

  it("lists the members sorted by identity, with each one's Lease, renew time and claims", () => {
    const claiming = {
      ...lease("mu", "2"),
      metadata: { name: "simple-gitops-member-mu", annotations: { "simple-gitops.io/services": "db,web" } },
    };
    const view = liveMembers([lease("zeta", "1"), lease("alpha", "4"), claiming], new Map(), 0, 15);
    const renewTime = "2026-01-01T00:00:00.000000Z";
    expect(view.live).toEqual([
      { identity: "alpha", lease: "simple-gitops-member-alpha", renewTime, claims: new Set() },
      { identity: "mu", lease: "simple-gitops-member-mu", renewTime, claims: new Set(["db", "web"]) },
      { identity: "zeta", lease: "simple-gitops-member-zeta", renewTime, claims: new Set() },
    ]);
  });

  it("forgets the sighting of a Lease that is gone, so one of that name is timed afresh", () => {
    expect(
      watch([
        { at: 0, leases: [lease("a", "1")] },
        { at: 10_000, leases: [] },
        { at: 20_000, leases: [lease("a", "1")] },
      ]),
    ).toEqual([["a"], [], ["a"]]);
  });
});

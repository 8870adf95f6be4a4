import { describe, expect, it } from "vitest";
import {
  claimsOf,
  heldSpec,
  type MemberLease,
  memberLeaseName,
  REQUESTS_ANNOTATION,
  requestsOf,
  withClaims,
  withRequests,
} from "./member-lease.js";

const lease = (annotations?: Record<string, string>): MemberLease => ({
  apiVersion: "coordination.k8s.io/v1",
  kind: "Lease",
  metadata: { name: "m", ...(annotations ? { annotations } : {}) },
});

describe("memberLeaseName", () => {
  it("names a member's Lease after its pod", () => {
    expect(memberLeaseName("gitops-controller-x7k2p")).toBe("simple-gitops-member-gitops-controller-x7k2p");
  });

  it("fits a name too long for a Lease in 253 characters, two long names never alike", () => {
    const one = memberLeaseName(`${"a".repeat(240)}-one`);
    const two = memberLeaseName(`${"a".repeat(240)}-two`);
    expect([one.length, two.length]).toEqual([253, 253]);
    expect(one).not.toBe(two);
  });
});

describe("heldSpec", () => {
  it("keeps the acquire time while the member holds its Lease and moves the renew time", () => {
    const first = heldSpec(undefined, "a", 15, Date.UTC(2026, 0, 1));
    const later = heldSpec(first, "a", 15, Date.UTC(2026, 0, 1, 0, 0, 5));
    expect(later).toEqual({
      holderIdentity: "a",
      leaseDurationSeconds: 15,
      acquireTime: "2026-01-01T00:00:00.000000Z",
      renewTime: "2026-01-01T00:00:05.000000Z",
    });
  });

  it("takes a Lease another holder or a release left with a new acquire time", () => {
    const theirs = heldSpec(undefined, "b", 15, Date.UTC(2026, 0, 1));
    expect(heldSpec(theirs, "a", 15, Date.UTC(2026, 0, 2)).acquireTime).toBe("2026-01-02T00:00:00.000000Z");
  });
});

describe("claims", () => {
  it("are written sorted, keeping the Lease's other annotations, and read back as written", () => {
    const metadata = withClaims(lease({ "note/by-hand": "kept" }).metadata, new Set(["web", "api", "db"]));
    expect(metadata.annotations).toEqual({
      "note/by-hand": "kept",
      "simple-gitops.io/services": "api,db,web",
    });
    expect(claimsOf({ ...lease(), metadata })).toEqual(new Set(["api", "db", "web"]));
  });

  it("are none for a Lease without them or with none", () => {
    expect(claimsOf(lease())).toEqual(new Set());
    expect(claimsOf({ ...lease(), metadata: withClaims(lease().metadata, new Set()) })).toEqual(new Set());
  });
});

describe("sync requests passed on in a Lease", () => {
  it("are read back as written, the Lease's other annotations kept, and gone once none are passed on", () => {
    const requests = [
      { id: "k1-1", trigger: "webhook" as const, repoKey: "gitops" },
      { id: "k1-2", trigger: "manual" as const, service: "web" },
    ];
    const metadata = withRequests(lease({ "note/by-hand": "kept" }).metadata, requests);
    expect(requestsOf({ ...lease(), metadata })).toEqual(requests);
    expect(metadata.annotations?.["note/by-hand"]).toBe("kept");
    expect(withRequests(metadata, []).annotations).toEqual({ "note/by-hand": "kept" });
  });

  it("leave out what does not read as a request: bad JSON, not a list, an unknown trigger", () => {
    const reading = (text: string) => requestsOf(lease({ [REQUESTS_ANNOTATION]: text }));
    expect(reading("{not json")).toEqual([]);
    expect(reading('{"id":"1"}')).toEqual([]);
    expect(reading('[{"id":"1","trigger":"delete"},{"id":"2","trigger":"manual"}]')).toEqual([
      { id: "2", trigger: "manual" },
    ]);
  });
});

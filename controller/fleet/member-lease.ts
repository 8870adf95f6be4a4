import { createHash } from "node:crypto";
import type { KubeObject } from "../../kube/objects.js";

/** MEMBER_LEASE_LABEL marks a member's Lease, so the members are listed with one label selector. */
export const MEMBER_LEASE_LABEL = "simple-gitops.io/lease";

/** MEMBER_LEASE_LABELS are the labels of every member Lease. */
export const MEMBER_LEASE_LABELS: Readonly<Record<string, string>> = {
  "app.kubernetes.io/managed-by": "simple-gitops-controller",
  [MEMBER_LEASE_LABEL]: "member",
};

/**
 * CLAIMS_ANNOTATION lists the services a member holds, sorted and comma-separated (service names are DNS labels):
 * what the others read before they claim one (fence.ts).
 */
export const CLAIMS_ANNOTATION = "simple-gitops.io/services";

/** MEMBER_LEASE_PREFIX starts every member Lease's name; the pod's name follows. */
export const MEMBER_LEASE_PREFIX = "simple-gitops-member-";

// A Lease's name is a DNS subdomain: at most 253 characters.
const MAX_NAME = 253;

/**
 * memberLeaseName is the Lease of the member `identity` (its pod's name): `simple-gitops-member-<pod>`, or, for a
 * name too long for that, its start and a digest of the whole, so two long names never share a Lease.
 */
export function memberLeaseName(identity: string): string {
  const name = `${MEMBER_LEASE_PREFIX}${identity}`;
  if (name.length <= MAX_NAME) return name;
  const digest = createHash("sha256").update(identity).digest("hex").slice(0, 16);
  return `${name.slice(0, MAX_NAME - digest.length - 1)}-${digest}`;
}

/** MemberLeaseSpec is the part of a member's `coordination.k8s.io/v1` Lease membership reads and writes. */
export interface MemberLeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
}

/** MemberLease is a member's Lease as the apiserver returns it. */
export interface MemberLease extends KubeObject {
  metadata: KubeObject["metadata"] & { resourceVersion?: string };
  spec?: MemberLeaseSpec;
}

/** heldSpec is what `identity` writes to hold its Lease: its acquire time kept while it holds it, renewed now. */
export function heldSpec(
  previous: MemberLeaseSpec | undefined,
  identity: string,
  leaseSeconds: number,
  now: number,
): MemberLeaseSpec {
  const ours = previous?.holderIdentity === identity && previous.acquireTime;
  return {
    holderIdentity: identity,
    leaseDurationSeconds: leaseSeconds,
    acquireTime: ours ? previous.acquireTime : microTime(now),
    renewTime: microTime(now),
  };
}

/**
 * releasedSpec gives a member's Lease up: no holder, so every other member counts it out at its next read instead
 * of waiting for it to expire.
 */
export function releasedSpec(now: number): MemberLeaseSpec {
  return { leaseDurationSeconds: 1, renewTime: microTime(now) };
}

/** microTime formats a time as a Kubernetes MicroTime, which wants exactly six fractional digits. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, "000Z");
}

/** claimsOf reads the services a member's Lease says it holds. */
export function claimsOf(lease: MemberLease): ReadonlySet<string> {
  const text = lease.metadata.annotations?.[CLAIMS_ANNOTATION] ?? "";
  return new Set(text.split(",").filter((name) => name !== ""));
}

/** withClaims is a Lease's metadata saying it holds `claims`, its other annotations kept. */
export function withClaims(
  metadata: MemberLease["metadata"],
  claims: ReadonlySet<string>,
): MemberLease["metadata"] {
  return {
    ...metadata,
    annotations: { ...metadata.annotations, [CLAIMS_ANNOTATION]: [...claims].sort().join(",") },
  };
}

/**
 * REQUESTS_ANNOTATION carries the latest sync requests (a push webhook, a manual sync) that reached this member, as
 * JSON: the other members read them with the Leases and sync their own services of it at once.
 */
export const REQUESTS_ANNOTATION = "simple-gitops.io/sync-requests";

/** FleetRequest is a sync request one member passes on to the others: what asked, and for which repository or service. */
export interface FleetRequest {
  /** id is unique among this member's requests, so a reader acts on each once. */
  readonly id: string;
  readonly trigger: "webhook" | "manual";
  readonly repoKey?: string;
  readonly service?: string;
}

/** withRequests is a Lease's metadata carrying `requests`, its other annotations kept. */
export function withRequests(
  metadata: MemberLease["metadata"],
  requests: readonly FleetRequest[],
): MemberLease["metadata"] {
  const { [REQUESTS_ANNOTATION]: _old, ...kept } = metadata.annotations ?? {};
  return {
    ...metadata,
    annotations: requests.length === 0 ? kept : { ...kept, [REQUESTS_ANNOTATION]: JSON.stringify(requests) },
  };
}

/** requestsOf reads the sync requests a member's Lease passes on; what does not read as one is left out. */
export function requestsOf(lease: MemberLease): FleetRequest[] {
  const text = lease.metadata.annotations?.[REQUESTS_ANNOTATION];
  if (text === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  return parsed.filter(isRequest);
}

function isRequest(value: unknown): value is FleetRequest {
  if (typeof value !== "object" || value === null) return false;
  const { id, trigger, repoKey, service } = value as Record<string, unknown>;
  return (
    typeof id === "string" &&
    (trigger === "webhook" || trigger === "manual") &&
    (repoKey === undefined || typeof repoKey === "string") &&
    (service === undefined || typeof service === "string")
  );
}

import { GitOpsError } from "../../common/errors.js";
import { type KubeRequest, type KubeResponse, statusMessage } from "../../kube/http.js";
import {
  type FleetRequest,
  heldSpec,
  MEMBER_LEASE_LABEL,
  MEMBER_LEASE_LABELS,
  type MemberLease,
  memberLeaseName,
  releasedSpec,
  withClaims,
  withRequests,
} from "./member-lease.js";

/** MembershipError says a member Lease could not be read or written; the member stops owning until it can. */
export class MembershipError extends GitOpsError {
  readonly code = "E_MEMBERSHIP";
}

/** MemberLeaseTarget is where a member's Lease lives, who holds it, and how each call to it is bounded. */
export interface MemberLeaseTarget {
  readonly namespace: string;
  readonly identity: string;
  readonly leaseSeconds: number;
  readonly request: KubeRequest;
  readonly timeoutMs: number;
}

const leases = (namespace: string) =>
  `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;

async function send(
  target: MemberLeaseTarget,
  signal: AbortSignal,
  method: string,
  path: string,
  body?: unknown,
): Promise<KubeResponse> {
  try {
    return await target.request(method, path, body, { signal, timeoutMs: target.timeoutMs });
  } catch (error: unknown) {
    throw new MembershipError(
      `member Leases in ${target.namespace}: ${method} failed: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}

/**
 * renewMemberLease writes the member's Lease as held now, claiming `claims` and passing `requests` on, and returns it as stored: an update of the version it last
 * wrote (`last`), else (first renewal, or the Lease changed or vanished meanwhile) the Lease read afresh is updated,
 * or created when absent. The pod's name is the member's alone, so a Lease of that name is always its to take.
 */
export async function renewMemberLease(
  target: MemberLeaseTarget,
  last: MemberLease | undefined,
  claims: ReadonlySet<string>,
  now: number,
  signal: AbortSignal,
  requests: readonly FleetRequest[] = [],
): Promise<MemberLease> {
  const name = memberLeaseName(target.identity);
  const path = `${leases(target.namespace)}/${encodeURIComponent(name)}`;
  const held = (lease: MemberLease) => ({
    ...lease,
    metadata: withRequests(withClaims(lease.metadata, claims), requests),
    spec: heldSpec(lease.spec, target.identity, target.leaseSeconds, now),
  });
  if (last) {
    const renewed = await send(target, signal, "PUT", path, held(last));
    if (renewed.status === 200) return renewed.body as MemberLease;
    if (renewed.status !== 409 && renewed.status !== 404)
      throw failure(target, `Lease ${name}`, "renew", renewed);
  }
  const live = await send(target, signal, "GET", path);
  if (live.status === 200) {
    const taken = await send(target, signal, "PUT", path, held(live.body as MemberLease));
    if (taken.status === 200) return taken.body as MemberLease;
    throw failure(target, `Lease ${name}`, "update", taken);
  }
  if (live.status !== 404) throw failure(target, `Lease ${name}`, "read", live);
  const created = await send(target, signal, "POST", leases(target.namespace), {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: withRequests(
      withClaims({ name, namespace: target.namespace, labels: { ...MEMBER_LEASE_LABELS } }, claims),
      requests,
    ),
    spec: heldSpec(undefined, target.identity, target.leaseSeconds, now),
  });
  if (created.status === 201 || created.status === 200) return created.body as MemberLease;
  throw failure(target, `Lease ${name}`, "create", created);
}

/**
 * releaseMemberLease gives the member's Lease up, claims and all, so the others count it out at their next read. A
 * renewal cut short may have landed after all: then the Lease is read afresh and released from there.
 */
export async function releaseMemberLease(
  target: MemberLeaseTarget,
  last: MemberLease,
  now: number,
  signal: AbortSignal,
): Promise<void> {
  const path = `${leases(target.namespace)}/${encodeURIComponent(last.metadata.name)}`;
  const release = (lease: MemberLease) =>
    send(target, signal, "PUT", path, {
      ...lease,
      metadata: withClaims(lease.metadata, new Set()),
      spec: releasedSpec(now),
    });
  let released = await release(last);
  if (released.status === 409) {
    const live = await send(target, signal, "GET", path);
    if (live.status !== 200) throw failure(target, `Lease ${last.metadata.name}`, "read", live);
    released = await release(live.body as MemberLease);
  }
  if (released.status !== 200) throw failure(target, `Lease ${last.metadata.name}`, "release", released);
}

/** listMemberLeases reads every member Lease of the namespace, live or not. */
export async function listMemberLeases(
  target: MemberLeaseTarget,
  signal: AbortSignal,
): Promise<MemberLease[]> {
  const selector = encodeURIComponent(`${MEMBER_LEASE_LABEL}=${MEMBER_LEASE_LABELS[MEMBER_LEASE_LABEL]}`);
  const listed = await send(target, signal, "GET", `${leases(target.namespace)}?labelSelector=${selector}`);
  if (listed.status !== 200) throw failure(target, "member Leases", "list", listed);
  return ((listed.body as { items?: MemberLease[] }).items ?? []).slice();
}

function failure(
  target: MemberLeaseTarget,
  what: string,
  verb: string,
  response: KubeResponse,
): MembershipError {
  return new MembershipError(`cannot ${verb} ${what} in ${target.namespace}: ${statusMessage(response)}`);
}

import { statusMessage } from "../../../kube/http.js";
import type { Candidate } from "./candidate.js";
import { holderSpec, type Lease, type LeaseOutcome } from "./lease.js";

/**
 * attemptLease makes one attempt to lead: a leader renews its Lease; anyone else (or a leader whose renewal met
 * another writer) reads it, then creates it when absent or takes it when released or expired. Every write carries
 * the resourceVersion last read, so of two writers only one wins.
 */
export async function attemptLease(candidate: Candidate, started: number): Promise<LeaseOutcome> {
  const { request, path, standing } = candidate;
  const now = candidate.clock.now();
  const spec = (previous: Lease["spec"]) =>
    holderSpec(previous, candidate.identity, candidate.leaseSeconds, now);
  if (standing.leading && standing.lease) {
    const renewed = await request("PUT", path, { ...standing.lease, spec: spec(standing.lease.spec) });
    if (renewed.status === 200) return { kind: "leading", lease: renewed.body as Lease };
    if (renewed.status !== 409 && renewed.status !== 404) {
      return { kind: "error", message: `renew: ${statusMessage(renewed)}` };
    }
    // Someone else wrote or deleted the Lease: read it to learn who holds it now.
  }
  const got = await request("GET", path);
  if (got.status === 404) {
    const created = await request("POST", candidate.collection, {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: {
        name: candidate.name,
        namespace: candidate.namespace,
        labels: { "app.kubernetes.io/managed-by": "simple-gitops-controller" },
      },
      spec: spec(undefined),
    });
    if (created.status === 201 || created.status === 200)
      return { kind: "leading", lease: created.body as Lease };
    if (created.status === 409) return { kind: "following" };
    return { kind: "error", message: `create: ${statusMessage(created)}` };
  }
  if (got.status !== 200) return { kind: "error", message: `read: ${statusMessage(got)}` };
  const live = got.body as Lease;
  const holder = live.spec?.holderIdentity;
  if (holder && holder !== candidate.identity && !expired(candidate, live, started))
    return { kind: "following", lease: live, holder };
  const taken = await request("PUT", path, { ...live, spec: spec(live.spec) });
  if (taken.status === 200) return { kind: "leading", lease: taken.body as Lease };
  if (taken.status === 409) return { kind: "following", lease: live };
  return { kind: "error", message: `acquire: ${statusMessage(taken)}` };
}

/**
 * expired says whether another holder's Lease has gone unchanged for its whole duration, timed on this candidate's
 * monotonic clock from when it first saw the current version, so neither clock skew nor a wall-clock step counts.
 */
function expired(candidate: Candidate, live: Lease, started: number): boolean {
  const { standing } = candidate;
  const seen =
    standing.observed && standing.observed.version === live.metadata.resourceVersion
      ? standing.observed
      : { version: live.metadata.resourceVersion, at: started };
  standing.observed = seen;
  const seconds = live.spec?.leaseDurationSeconds ?? candidate.leaseSeconds;
  return started >= seen.at + seconds * 1000;
}

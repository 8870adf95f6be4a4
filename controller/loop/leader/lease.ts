/** LeaseSpec is the part of a `coordination.k8s.io/v1` Lease the election reads and writes. */
export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

/** Lease is a `coordination.k8s.io/v1` Lease as the apiserver returns it. */
export interface Lease {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string> };
  spec?: LeaseSpec;
}

/** LeaseOutcome is what one attempt learned: this candidate leads, another holds the Lease, or no answer. */
export type LeaseOutcome =
  | { kind: "leading"; lease: Lease }
  | { kind: "following"; lease?: Lease; holder?: string }
  | { kind: "error"; message: string };

/**
 * holderSpec is the spec `identity` writes to take or renew a Lease: its acquire time is kept while it holds the
 * Lease, and a change of holder counts as a transition.
 */
export function holderSpec(
  previous: LeaseSpec | undefined,
  identity: string,
  leaseSeconds: number,
  now: number,
): LeaseSpec {
  const ours = previous?.holderIdentity === identity;
  return {
    holderIdentity: identity,
    leaseDurationSeconds: leaseSeconds,
    acquireTime: ours && previous?.acquireTime ? previous.acquireTime : microTime(now),
    renewTime: microTime(now),
    leaseTransitions: (previous?.leaseTransitions ?? 0) + (ours || !previous ? 0 : 1),
  };
}

/**
 * releasedSpec gives a Lease up as client-go does: no holder and a 1 s duration, so every candidate may take it at
 * once.
 */
export function releasedSpec(previous: LeaseSpec | undefined, now: number): LeaseSpec {
  return {
    leaseDurationSeconds: 1,
    acquireTime: microTime(now),
    renewTime: microTime(now),
    leaseTransitions: previous?.leaseTransitions ?? 0,
  };
}

/** microTime formats a time as a Kubernetes MicroTime, which wants exactly six fractional digits. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, "000Z");
}

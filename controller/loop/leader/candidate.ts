import type { Logger } from "pino";
import type { KubeRequest } from "../../../kube/http.js";
import type { LeaderClock } from "./leader-clock.js";
import type { Lease } from "./lease.js";

/**
 * LEADER_JITTER is client-go's JitterFactor: followers spread their retries over up to 20 % more than the retry
 * period.
 */
export const LEADER_JITTER = 0.2;

/** CandidateStanding is what a candidate knows between attempts; only the elector's own steps change it. */
export interface CandidateStanding {
  leading: boolean;
  /** lease is the Lease as last read or written. */
  lease: Lease | undefined;
  /** lastRenew is when (monotonic) the last successful write was sent: the renew deadline counts from there. */
  lastRenew: number;
  /** observed is the Lease version last seen and when (monotonic), to time its expiry on this candidate's clock. */
  observed: { version: string | undefined; at: number } | undefined;
}

/** Candidate is one elector: where its Lease lives, who it is, its timings and collaborators, and its standing. */
export interface Candidate {
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  /** collection and path are the Leases of the namespace and this Lease, as apiserver paths. */
  readonly collection: string;
  readonly path: string;
  readonly leaseSeconds: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  readonly request: KubeRequest;
  readonly clock: LeaderClock;
  readonly random: () => number;
  readonly log: Logger;
  /** context is what every log line of the elector carries. */
  readonly context: { readonly lease: string; readonly identity: string };
  readonly onStartedLeading?: () => void | Promise<void>;
  readonly onStoppedLeading?: () => void | Promise<void>;
  readonly standing: CandidateStanding;
}

import type { Logger } from "pino";
import { GitOpsError } from "../../common/errors.js";
import type { KubeRequest } from "../../kube/http.js";
import { lazyKubeRequest } from "../../kube/kubeconfig.js";
import { type Candidate, LEADER_JITTER } from "./leader/candidate.js";
import { type LeaderClock, systemLeaderClock } from "./leader/leader-clock.js";
import { runCampaign } from "./leader/run-campaign.js";
import { stepDown } from "./leader/step-down.js";

export { type LeaderClock, systemLeaderClock } from "./leader/leader-clock.js";

/** LeaderElectionError says the elector was configured with timings that cannot work. */
export class LeaderElectionError extends GitOpsError {
  readonly code = "E_LEADER";
}

/** LeaderElectorOptions configure {@link createLeaderElector}; the timings mean what they mean in client-go. */
export interface LeaderElectorOptions {
  namespace: string;
  /** name of the Lease; `simple-gitops-leader` unless given. */
  name?: string;
  /** identity of this candidate, unique among them (the pod name). */
  identity: string;
  /** leaseDurationMs is how long followers wait, after they last saw the Lease change, before taking it. */
  leaseDurationMs?: number;
  /** renewDeadlineMs is how long the leader keeps leading without a successful renewal. */
  renewDeadlineMs?: number;
  /** retryPeriodMs is the pause between two attempts to acquire or renew. */
  retryPeriodMs?: number;
  /** request is the apiserver client; by default one that loads the kubeconfig on first use. */
  request?: KubeRequest;
  clock?: LeaderClock;
  /** random spreads the candidates' retries; Math.random unless given. */
  random?: () => number;
  log: Logger;
  /** onStartedLeading is called when this candidate becomes the leader; it runs beside the elector, not awaited. */
  onStartedLeading?: () => void | Promise<void>;
  /** onStoppedLeading is called once for each onStartedLeading, when leadership is lost or given up. */
  onStoppedLeading?: () => void | Promise<void>;
}

/** LeaderElector campaigns for a Lease until stopped. */
export interface LeaderElector {
  /** start begins campaigning in the background; calling it again while running does nothing. */
  start(): void;
  /**
   * stop ends campaigning after any attempt under way and, when leading, releases the Lease so that another
   * candidate takes it at its next retry. `release: false` leaves the Lease to expire, as a crash would.
   */
  stop(options?: { release?: boolean }): Promise<void>;
  /** isLeader is true while this candidate holds the Lease and its last renewal is within the renew deadline. */
  isLeader(): boolean;
}

/**
 * createLeaderElector elects one leader among candidates sharing a `coordination.k8s.io/v1` Lease, the way
 * client-go's leaderelection does: the Lease is created when absent, taken when released or when it has not
 * changed for its lease duration, and renewed every retry period with an update carrying the last
 * resourceVersion, so of two writers only one wins. Expiry is measured on this candidate's own clock from when it
 * last saw the Lease change, not from the holder's `renewTime`, so clock skew between nodes cannot make two
 * leaders (https://github.com/kubernetes/client-go/blob/master/tools/leaderelection/leaderelection.go). A leader
 * that sees another holder stops leading at once; one that cannot renew stops at the renew deadline.
 */
export function createLeaderElector(options: LeaderElectorOptions): LeaderElector {
  const {
    namespace,
    name = "simple-gitops-leader",
    identity,
    leaseDurationMs = 15_000,
    renewDeadlineMs = 10_000,
    retryPeriodMs = 2_000,
    clock = systemLeaderClock,
    random = Math.random,
    log,
  } = options;
  checkTimings(leaseDurationMs, renewDeadlineMs, retryPeriodMs);
  if (identity === "") throw new LeaderElectionError("leader election needs a non-empty identity");
  const collection = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
  const candidate: Candidate = {
    namespace,
    name,
    identity,
    collection,
    path: `${collection}/${encodeURIComponent(name)}`,
    leaseSeconds: Math.ceil(leaseDurationMs / 1000),
    renewDeadlineMs,
    retryPeriodMs,
    request: options.request ?? lazyKubeRequest(),
    clock,
    random,
    log,
    context: { lease: `${namespace}/${name}`, identity },
    onStartedLeading: options.onStartedLeading,
    onStoppedLeading: options.onStoppedLeading,
    standing: { leading: false, lease: undefined, lastRenew: 0, observed: undefined },
  };
  const { standing, context } = candidate;
  let running: Promise<void> | undefined;
  let stopper: AbortController | undefined;

  return {
    start() {
      if (running) return;
      stopper = new AbortController();
      running = runCampaign(candidate, stopper.signal).catch((error: unknown) =>
        log.error({ ...context, err: error }, "leader election stopped unexpectedly"),
      );
    },

    async stop({ release = true } = {}) {
      if (!running) return;
      stopper?.abort();
      await running;
      running = undefined;
      await stepDown(candidate, release);
    },

    isLeader() {
      return standing.leading && clock.monotonic() < standing.lastRenew + renewDeadlineMs;
    },
  };
}

/** checkTimings refuses timings where a leader could outlive its Lease, or a jittered retry its renew deadline. */
function checkTimings(leaseDurationMs: number, renewDeadlineMs: number, retryPeriodMs: number): void {
  if (!(leaseDurationMs > renewDeadlineMs && renewDeadlineMs > retryPeriodMs * (1 + LEADER_JITTER))) {
    throw new LeaderElectionError(
      `leader election needs leaseDuration > renewDeadline > 1.2 × retryPeriod; got ${leaseDurationMs} ms, ` +
        `${renewDeadlineMs} ms and ${retryPeriodMs} ms`,
    );
  }
}

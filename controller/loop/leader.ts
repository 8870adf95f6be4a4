import { setTimeout as delay } from "node:timers/promises";
import type { Logger } from "pino";
import { GitOpsError } from "../../common/errors.js";
import { timerDelay } from "../../common/timer-delay.js";
import { type KubeRequest, type KubeResponse, statusMessage } from "../../kube/http.js";
import { lazyKubeRequest } from "../../kube/kubeconfig.js";

/**
 * LeaderClock is the time source of the elector. `sleep` resolves after `ms`, or early when `signal` aborts, so
 * that `stop()` does not wait out a retry period; a clock that ignores the signal (common/clock.ts) also works.
 */
export interface LeaderClock {
  /** now is wall-clock time, written into the Lease (`renewTime`) for people and other candidates to read. */
  now(): number;
  /** monotonic times the renew deadline and a Lease's expiry: a wall-clock step must not extend or end either. */
  monotonic(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** systemLeaderClock is the production {@link LeaderClock}. */
export const systemLeaderClock: LeaderClock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  sleep: (ms, signal) => delay(timerDelay(ms), undefined, { signal }).catch(() => undefined),
};

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

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string> };
  spec?: LeaseSpec;
}

type Outcome =
  | { kind: "leading"; lease: Lease }
  | { kind: "following"; lease?: Lease; holder?: string }
  | { kind: "error"; message: string };

// client-go's JitterFactor: candidates spread their retries over up to 20 % more than the retry period.
const JITTER = 0.2;

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
  if (!(leaseDurationMs > renewDeadlineMs && renewDeadlineMs > retryPeriodMs * (1 + JITTER))) {
    throw new LeaderElectionError(
      `leader election needs leaseDuration > renewDeadline > 1.2 × retryPeriod; got ${leaseDurationMs} ms, ` +
        `${renewDeadlineMs} ms and ${retryPeriodMs} ms`,
    );
  }
  if (identity === "") throw new LeaderElectionError("leader election needs a non-empty identity");
  const leaseSeconds = Math.ceil(leaseDurationMs / 1000);
  const collection = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
  const path = `${collection}/${encodeURIComponent(name)}`;
  const context = { lease: `${namespace}/${name}`, identity };
  const request = options.request ?? lazyKubeRequest();

  let leading = false;
  let lease: Lease | undefined;
  let lastRenew = 0;
  let observed: { version: string | undefined; at: number } | undefined;
  let running: Promise<void> | undefined;
  let stopper: AbortController | undefined;

  async function send(method: string, url: string, body?: unknown): Promise<KubeResponse> {
    return request(method, url, body);
  }

  function spec(previous: LeaseSpec | undefined, now: number): LeaseSpec {
    const ours = previous?.holderIdentity === identity;
    return {
      holderIdentity: identity,
      leaseDurationSeconds: leaseSeconds,
      acquireTime: ours && previous?.acquireTime ? previous.acquireTime : microTime(now),
      renewTime: microTime(now),
      leaseTransitions: (previous?.leaseTransitions ?? 0) + (ours || !previous ? 0 : 1),
    };
  }

  function expired(live: Lease, started: number): boolean {
    const seen =
      observed && observed.version === live.metadata.resourceVersion
        ? observed
        : { version: live.metadata.resourceVersion, at: started };
    observed = seen;
    const seconds = live.spec?.leaseDurationSeconds ?? leaseSeconds;
    return started >= seen.at + seconds * 1000;
  }

  async function attempt(started: number): Promise<Outcome> {
    const now = clock.now();
    if (leading && lease) {
      const renewed = await send("PUT", path, { ...lease, spec: spec(lease.spec, now) });
      if (renewed.status === 200) return { kind: "leading", lease: renewed.body as Lease };
      if (renewed.status !== 409 && renewed.status !== 404) {
        return { kind: "error", message: `renew: ${statusMessage(renewed)}` };
      }
      // Someone else wrote or deleted the Lease: read it to learn who holds it now.
    }
    const got = await send("GET", path);
    if (got.status === 404) {
      const created = await send("POST", collection, {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: { name, namespace, labels: { "app.kubernetes.io/managed-by": "simple-gitops-controller" } },
        spec: spec(undefined, now),
      });
      if (created.status === 201 || created.status === 200)
        return { kind: "leading", lease: created.body as Lease };
      if (created.status === 409) return { kind: "following" };
      return { kind: "error", message: `create: ${statusMessage(created)}` };
    }
    if (got.status !== 200) return { kind: "error", message: `read: ${statusMessage(got)}` };
    const live = got.body as Lease;
    const holder = live.spec?.holderIdentity;
    if (holder && holder !== identity && !expired(live, started))
      return { kind: "following", lease: live, holder };
    const taken = await send("PUT", path, { ...live, spec: spec(live.spec, now) });
    if (taken.status === 200) return { kind: "leading", lease: taken.body as Lease };
    if (taken.status === 409) return { kind: "following", lease: live };
    return { kind: "error", message: `acquire: ${statusMessage(taken)}` };
  }

  // A hung request must not keep a leader leading past its deadline, nor stall a candidate forever.
  async function bounded(work: Promise<Outcome>, ms: number): Promise<Outcome> {
    const timer = new AbortController();
    const timeout = clock
      .sleep(Math.max(0, ms), timer.signal)
      .then((): Outcome => ({ kind: "error", message: `no answer from the apiserver within ${ms} ms` }));
    const failed = work.catch(
      (error: unknown): Outcome => ({ kind: "error", message: (error as Error).message }),
    );
    try {
      return await Promise.race([failed, timeout]);
    } finally {
      timer.abort();
    }
  }

  function fire(callback: (() => void | Promise<void>) | undefined, what: string): void {
    try {
      Promise.resolve(callback?.()).catch((error: unknown) =>
        log.error({ ...context, err: error }, `${what} failed`),
      );
    } catch (error: unknown) {
      log.error({ ...context, err: error }, `${what} failed`);
    }
  }

  function lose(reason: string): void {
    leading = false;
    log.warn({ ...context, reason }, "lost leadership");
    fire(options.onStoppedLeading, "onStoppedLeading");
  }

  function settle(outcome: Outcome, started: number): void {
    if (outcome.kind === "leading") {
      lease = outcome.lease;
      // The renewal is only as recent as the moment it was sent: the deadline counts from there.
      lastRenew = started;
      if (!leading) {
        leading = true;
        log.info(context, "became leader");
        fire(options.onStartedLeading, "onStartedLeading");
      }
    } else if (outcome.kind === "following") {
      lease = outcome.lease ?? lease;
      if (leading) lose(`the Lease is now held by ${outcome.holder ?? "another candidate"}`);
    } else {
      log.warn({ ...context, reason: outcome.message }, "leader election attempt failed");
      if (leading && clock.monotonic() >= lastRenew + renewDeadlineMs) {
        lose(`no renewal within the ${renewDeadlineMs} ms renew deadline: ${outcome.message}`);
      }
    }
  }

  async function campaign(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const started = clock.monotonic();
      const budget = leading ? lastRenew + renewDeadlineMs - started : renewDeadlineMs;
      const outcome: Outcome =
        budget <= 0
          ? { kind: "error", message: "renew deadline passed" }
          : await bounded(attempt(started), budget);
      settle(outcome, started);
      if (signal.aborted) break;
      const pause = leading
        ? Math.min(retryPeriodMs, Math.max(0, lastRenew + renewDeadlineMs - clock.monotonic()))
        : retryPeriodMs * (1 + JITTER * random());
      await clock.sleep(pause, signal);
    }
  }

  async function release(): Promise<void> {
    if (!lease) return;
    // As client-go does: no holder and a 1 s duration, so every candidate may take the Lease at once.
    const now = clock.now();
    const released: Lease = {
      ...lease,
      spec: {
        leaseDurationSeconds: 1,
        acquireTime: microTime(now),
        renewTime: microTime(now),
        leaseTransitions: lease.spec?.leaseTransitions ?? 0,
      },
    };
    const outcome = await bounded(
      send("PUT", path, released).then(
        (res): Outcome =>
          res.status === 200
            ? { kind: "following", lease: res.body as Lease }
            : { kind: "error", message: statusMessage(res) },
      ),
      renewDeadlineMs,
    );
    if (outcome.kind === "error")
      log.warn({ ...context, reason: outcome.message }, "could not release the Lease");
    else log.info(context, "released the Lease");
  }

  return {
    start() {
      if (running) return;
      stopper = new AbortController();
      running = campaign(stopper.signal).catch((error: unknown) =>
        log.error({ ...context, err: error }, "leader election stopped unexpectedly"),
      );
    },

    async stop({ release: give = true } = {}) {
      if (!running) return;
      stopper?.abort();
      await running;
      running = undefined;
      if (!leading) return;
      if (give) await release();
      leading = false;
      log.info(context, "stopped leading");
      fire(options.onStoppedLeading, "onStoppedLeading");
    },

    isLeader() {
      return leading && clock.monotonic() < lastRenew + renewDeadlineMs;
    },
  };
}

/** microTime formats a time as a Kubernetes MicroTime, which wants exactly six fractional digits. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, "000Z");
}

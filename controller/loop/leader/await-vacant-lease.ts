import type { Logger } from "pino";
import { type KubeRequest, statusMessage } from "../../../kube/http.js";
import { type LeaderClock, systemLeaderClock } from "./leader-clock.js";
import type { Lease } from "./lease.js";

/** VacantLeaseOptions configure {@link awaitVacantLease}. */
export interface VacantLeaseOptions {
  readonly namespace: string;
  /** name of the leader Lease; `simple-gitops-leader` unless given. */
  readonly name?: string;
  readonly request: KubeRequest;
  readonly clock?: LeaderClock;
  /** retryPeriodMs is the pause between two reads; the electors' own retry period unless given. */
  readonly retryPeriodMs?: number;
  /**
   * leaseDurationMs is the electors' lease duration, for which the Lease must stay unchanged; longer when the Lease
   * says so. A released Lease says 1 s, shorter than a candidate's retry period: that one is not enough.
   */
  readonly leaseDurationMs?: number;
  /** requestTimeoutMs bounds each read. */
  readonly requestTimeoutMs?: number;
  /**
   * skewMs is how far the wall clocks of two nodes may disagree: a Lease whose `renewTime` is older than its lease
   * duration plus this has long been left by every candidate, and is not watched for a lease duration first.
   */
  readonly skewMs?: number;
  readonly log: Logger;
  readonly signal: AbortSignal;
}

/**
 * awaitVacantLease resolves `true` once no process campaigns for the leader Lease any more: the Lease is absent, or
 * it has not changed for its whole lease duration as this process measured it (a leader renews it every retry
 * period and a candidate takes a released one at its next retry, so any of them would have written it), or its
 * `renewTime` is long past. It resolves `false` when `signal` aborts first. A member of the fleet waits for it before
 * it joins: while a DaemonSet rolls from leader election to sharding, the old pods still elect a leader that applies
 * every service, and a member working beside it would apply the same services at the same time.
 */
export async function awaitVacantLease(options: VacantLeaseOptions): Promise<boolean> {
  const {
    namespace,
    name = "simple-gitops-leader",
    request,
    clock = systemLeaderClock,
    retryPeriodMs = 2_000,
    leaseDurationMs = 15_000,
    requestTimeoutMs = 10_000,
    skewMs = 60_000,
    log,
    signal,
  } = options;
  const path = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases/${encodeURIComponent(name)}`;
  const context = { lease: `${namespace}/${name}` };
  // The version last read, and when (monotonic) this process first read it: it was written no later than that.
  let seen: { version: string | undefined; at: number } | undefined;
  let said: string | undefined;
  while (!signal.aborted) {
    const read = await request("GET", path, undefined, { signal, timeoutMs: requestTimeoutMs }).catch(
      (error: unknown) => ({ status: 0, body: { message: (error as Error).message } }),
    );
    if (signal.aborted) break;
    if (read.status === 404) return true;
    if (read.status === 200) {
      const lease = read.body as Lease;
      const durationMs = Math.max(leaseDurationMs, (lease.spec?.leaseDurationSeconds ?? 0) * 1000);
      const version = lease.metadata.resourceVersion;
      const renewed = Date.parse(lease.spec?.renewTime ?? "");
      if (Number.isFinite(renewed) && clock.now() - renewed > durationMs + skewMs) return true;
      const at = seen && seen.version === version ? seen.at : clock.monotonic();
      if (clock.monotonic() - at >= durationMs) return true;
      seen = { version, at };
      const holder = lease.spec?.holderIdentity ?? "";
      if (said !== holder) {
        said = holder;
        log.info(
          { ...context, holder },
          "waiting for the leader election to end before joining the fleet (a pod of an older install may lead)",
        );
      }
    } else {
      log.warn({ ...context, reason: statusMessage(read) }, "could not read the leader Lease; trying again");
    }
    await clock.sleep(retryPeriodMs, signal);
  }
  return false;
}

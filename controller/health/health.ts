import { type Clock, systemClock } from "../../common/clock.js";
import { groupOf, type KubeObject, type ObjectRef, refKey } from "../../kube/objects.js";

/** HealthStatus is where a workload stands after apply. */
export type HealthStatus = "ready" | "progressing" | "failed";

/** Condition is a status condition as the apiserver reports it. */
export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** ObjectHealth is one workload's health with the conditions that explain it. */
export interface ObjectHealth extends ObjectRef {
  status: HealthStatus;
  message: string;
  conditions: Condition[];
  /** causes are what its pods show when it is not healthy: `pod web-7d9: container app waiting: CrashLoopBackOff…`. */
  causes?: string[];
}

/** hasHealth is true for the kinds whose rollout is waited for: Deployments, StatefulSets, DaemonSets, Jobs. */
export function hasHealth(ref: Pick<ObjectRef, "apiVersion" | "kind">): boolean {
  const group = groupOf(ref.apiVersion);
  return (
    (group === "apps" && ["Deployment", "StatefulSet", "DaemonSet"].includes(ref.kind)) ||
    (group === "batch" && ref.kind === "Job")
  );
}

/**
 * removesItselfWhenFinished is true for a Job with `ttlSecondsAfterFinished`: Kubernetes deletes it once it has
 * finished (at once with 0, as ingress-nginx's certificate Jobs say), so its absence after the apply is its end.
 */
export function removesItselfWhenFinished(object: KubeObject): boolean {
  const spec = object.spec as { ttlSecondsAfterFinished?: unknown } | undefined;
  return hasHealth(object) && object.kind === "Job" && typeof spec?.ttlSecondsAfterFinished === "number";
}

/** FINISHED_AND_REMOVED says why a Job that left the cluster during the wait counts as done. */
export const FINISHED_AND_REMOVED = "finished and removed by its ttlSecondsAfterFinished";

type Status = Record<string, number | string | Condition[] | undefined>;

/**
 * assessHealth reads one workload's status the way `kubectl rollout status` does: the controller has observed the
 * latest generation, every replica is updated and available, old replicas are gone; a Job is complete. A
 * Deployment past its progress deadline and a failed Job are `failed`: waiting longer will not help.
 */
export function assessHealth(object: KubeObject): Omit<ObjectHealth, keyof ObjectRef> {
  const status = (object.status ?? {}) as Status;
  const spec = (object.spec ?? {}) as Record<string, unknown>;
  const conditions = (Array.isArray(status.conditions) ? status.conditions : []) as Condition[];
  const result = (s: HealthStatus, message: string) => ({ status: s, message, conditions });
  const num = (key: string) => (typeof status[key] === "number" ? (status[key] as number) : 0);
  const generation = object.metadata.generation;
  if (object.kind !== "Job" && typeof generation === "number" && num("observedGeneration") < generation) {
    return result("progressing", "waiting for the controller to observe the new spec");
  }
  const replicas = typeof spec.replicas === "number" ? spec.replicas : 1;
  switch (object.kind) {
    case "Deployment": {
      const progressing = conditions.find((c) => c.type === "Progressing");
      if (progressing?.reason === "ProgressDeadlineExceeded") {
        return result("failed", progressing.message ?? "progress deadline exceeded");
      }
      if (num("updatedReplicas") < replicas)
        return result("progressing", `${num("updatedReplicas")} of ${replicas} replicas updated`);
      if (num("replicas") > num("updatedReplicas"))
        return result(
          "progressing",
          `${num("replicas") - num("updatedReplicas")} old replicas pending termination`,
        );
      if (num("availableReplicas") < num("updatedReplicas"))
        return result(
          "progressing",
          `${num("availableReplicas")} of ${num("updatedReplicas")} updated replicas available`,
        );
      return result("ready", `${replicas} replicas available`);
    }
    case "StatefulSet": {
      const strategy = spec.updateStrategy as
        | { type?: string; rollingUpdate?: { partition?: number } }
        | undefined;
      if (strategy?.type === "OnDelete")
        return result("ready", "OnDelete update strategy: rollout is manual");
      if (num("readyReplicas") < replicas)
        return result("progressing", `${num("readyReplicas")} of ${replicas} replicas ready`);
      const partition = strategy?.rollingUpdate?.partition ?? 0;
      if (partition > 0) {
        if (num("updatedReplicas") < replicas - partition)
          return result("progressing", "partitioned rollout in progress");
      } else if (status.updateRevision !== status.currentRevision) {
        return result("progressing", `${num("updatedReplicas")} of ${replicas} replicas updated`);
      }
      return result("ready", `${replicas} replicas ready`);
    }
    case "DaemonSet": {
      const desired = num("desiredNumberScheduled");
      if (num("updatedNumberScheduled") < desired)
        return result("progressing", `${num("updatedNumberScheduled")} of ${desired} pods updated`);
      if (num("numberAvailable") < desired)
        return result("progressing", `${num("numberAvailable")} of ${desired} pods available`);
      return result("ready", `${desired} pods available`);
    }
    case "Job": {
      const complete = conditions.find((c) => c.type === "Complete" && c.status === "True");
      if (complete) return result("ready", "complete");
      const failed = conditions.find((c) => c.type === "Failed" && c.status === "True");
      if (failed) return result("failed", failed.message ?? failed.reason ?? "job failed");
      if (spec.suspend === true) return result("ready", "suspended");
      return result("progressing", `${num("succeeded")} pods succeeded, ${num("active")} active`);
    }
    default:
      return result("ready", "no rollout to wait for");
  }
}

/** HealthWaitOptions bound {@link waitForHealthy}. */
export interface HealthWaitOptions {
  refs: readonly ObjectRef[];
  /** read returns the live object, or undefined when it does not exist. */
  read: (ref: ObjectRef) => Promise<KubeObject | undefined>;
  timeoutMs: number;
  intervalMs?: number;
  clock?: Clock;
  /** signal stops the wait (rejecting with its reason) when the sync is aborted. */
  signal?: AbortSignal;
  /**
   * removedWhenFinished holds the refKeys of Jobs that delete themselves once finished (removesItselfWhenFinished):
   * one not found is done, not missing. A failure seen before it went is still a failure.
   */
  removedWhenFinished?: ReadonlySet<string>;
}

/**
 * waitForHealthy polls the workloads among `refs` until all are ready, one failed for good, or the timeout passes,
 * and reports each with its conditions. It never throws for an unhealthy object: that is data for the SyncResult.
 */
export async function waitForHealthy(
  opts: HealthWaitOptions,
): Promise<{ healthy: boolean; objects: ObjectHealth[] }> {
  const { read, timeoutMs, intervalMs = 2000, clock = systemClock } = opts;
  const deadline = clock.monotonic() + timeoutMs;
  const pending = new Map(
    opts.refs.filter(hasHealth).map((ref) => [ref, undefined as ObjectHealth | undefined]),
  );
  for (;;) {
    opts.signal?.throwIfAborted();
    for (const [ref, last] of pending) {
      if (last && last.status !== "progressing") continue;
      pending.set(ref, await check(ref, read, opts.removedWhenFinished));
    }
    const all = [...pending.values()] as ObjectHealth[];
    const settled = all.every((h) => h.status === "ready") || all.some((h) => h.status === "failed");
    if (settled || clock.monotonic() >= deadline) {
      const why = settled
        ? "stopped waiting after another workload failed"
        : `timed out after ${timeoutMs}ms`;
      const objects = all.map((h) =>
        h.status === "progressing" ? { ...h, message: `${why}: ${h.message}` } : h,
      );
      return { healthy: objects.every((h) => h.status === "ready"), objects };
    }
    await clock.sleep(Math.min(intervalMs, Math.max(0, deadline - clock.monotonic())));
  }
}

async function check(
  ref: ObjectRef,
  read: HealthWaitOptions["read"],
  removedWhenFinished: ReadonlySet<string> = new Set(),
): Promise<ObjectHealth> {
  try {
    const object = await read(ref);
    if (!object && removedWhenFinished.has(refKey(ref)))
      return { ...ref, status: "ready", message: FINISHED_AND_REMOVED, conditions: [] };
    if (!object) return { ...ref, status: "progressing", message: "not found", conditions: [] };
    return { ...ref, ...assessHealth(object) };
  } catch (error: unknown) {
    // A failed read is not a verdict on the workload; the next poll may succeed.
    return {
      ...ref,
      status: "progressing",
      message: `cannot read: ${(error as Error).message}`,
      conditions: [],
    };
  }
}

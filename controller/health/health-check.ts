import { landed, type ObjectApplyResult } from "../../applyers/applyer.js";
import type { Clock } from "../../common/clock.js";
import type { PodLister } from "../../kube/list-pods.js";
import { describeRef, type KubeObject, type ObjectRef } from "../../kube/objects.js";
import { hasHealth, type ObjectHealth, waitForHealthy } from "./health.js";
import { podCauses, workloadSelector } from "./pod-causes.js";

/** HealthCheckDeps say how to read live objects and how long to wait; without `readObject` nothing is waited for. */
export interface HealthCheckDeps {
  readonly readObject?: (ref: ObjectRef) => Promise<KubeObject | undefined>;
  /** listPods lists a workload's pods, so an unhealthy one says why (CrashLoopBackOff, not scheduled, …). */
  readonly listPods?: PodLister;
  readonly healthTimeoutMs: number;
  readonly dryRun: boolean;
  readonly clock: Clock;
  readonly signal?: AbortSignal;
  /** removedWhenFinished: the refKeys of the set's Jobs that delete themselves once finished (see waitForHealthy). */
  readonly removedWhenFinished?: ReadonlySet<string>;
}

/**
 * checkHealth waits for every workload of the set, not only those this sync changed: a Deployment that did not
 * become available on the last try is still unavailable when its apply is `unchanged`, and recording its commit
 * would call it deployed. Returns the workloads that are not healthy.
 */
export async function checkHealth(
  applied: readonly ObjectApplyResult[],
  deps: HealthCheckDeps,
): Promise<ObjectHealth[]> {
  if (!deps.readObject || deps.dryRun || deps.healthTimeoutMs <= 0) return [];
  const refs = applied.filter((object) => landed(object) && hasHealth(object));
  if (refs.length === 0) return [];
  const health = await waitForHealthy({
    refs,
    read: deps.readObject,
    timeoutMs: deps.healthTimeoutMs,
    clock: deps.clock,
    ...(deps.signal ? { signal: deps.signal } : {}),
    ...(deps.removedWhenFinished ? { removedWhenFinished: deps.removedWhenFinished } : {}),
  });
  const unhealthy = health.objects.filter((object) => object.status !== "ready");
  return Promise.all(unhealthy.map((object) => withPodCauses(object, deps)));
}

/**
 * withPodCauses adds what the workload's pods show (see podCauses) to an unhealthy workload. A failure to read them
 * leaves the workload as it was: the sync has failed already, and its conditions still say so.
 */
async function withPodCauses(health: ObjectHealth, deps: HealthCheckDeps): Promise<ObjectHealth> {
  if (!deps.listPods || !deps.readObject || !health.namespace) return health;
  try {
    const live = await deps.readObject(health);
    const selector = live ? workloadSelector(live) : undefined;
    if (!selector) return health;
    const causes = podCauses(await deps.listPods(health.namespace, selector, deps.signal));
    return causes.length > 0 ? { ...health, causes } : health;
  } catch {
    deps.signal?.throwIfAborted();
    return health;
  }
}

/**
 * describeUnhealthy names a workload and says why it is not healthy, with its conditions as the controller
 * reported them: `Deployment apps/web: timed out after 60000ms: 0 of 1 updated replicas available
 * (Available=False MinimumReplicasUnavailable: Deployment does not have minimum availability.)`.
 */
export function describeUnhealthy(health: ObjectHealth): string {
  const conditions = health.conditions
    .filter((condition) => condition.status !== "True" || condition.type !== "Progressing")
    .map(
      (condition) =>
        `${condition.type}=${condition.status}${condition.reason ? ` ${condition.reason}` : ""}${
          condition.message ? `: ${condition.message}` : ""
        }`,
    );
  const causes = health.causes && health.causes.length > 0 ? `; ${health.causes.join("; ")}` : "";
  return `${describeRef(health)}: ${health.message}${conditions.length > 0 ? ` (${conditions.join("; ")})` : ""}${causes}`;
}

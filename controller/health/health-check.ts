import { landed, type ObjectApplyResult } from "../../applyers/applyer.js";
import type { Clock } from "../../common/clock.js";
import { describeRef, type KubeObject, type ObjectRef } from "../../kube/objects.js";
import { hasHealth, type ObjectHealth, waitForHealthy } from "./health.js";

/** HealthCheckDeps say how to read live objects and how long to wait; without `readObject` nothing is waited for. */
export interface HealthCheckDeps {
  readonly readObject?: (ref: ObjectRef) => Promise<KubeObject | undefined>;
  readonly healthTimeoutMs: number;
  readonly dryRun: boolean;
  readonly clock: Clock;
  readonly signal?: AbortSignal;
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
  });
  return health.objects.filter((object) => object.status !== "ready");
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
  return `${describeRef(health)}: ${health.message}${conditions.length > 0 ? ` (${conditions.join("; ")})` : ""}`;
}

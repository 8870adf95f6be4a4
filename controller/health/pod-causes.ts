import type { KubeObject } from "../../kube/objects.js";

type Json = Record<string, unknown>;
const record = (value: unknown): Json | undefined =>
  value && typeof value === "object" && !Array.isArray(value) ? (value as Json) : undefined;
const list = (value: unknown): Json[] =>
  Array.isArray(value) ? value.map(record).filter((v): v is Json => v !== undefined) : [];
const text = (value: unknown): string | undefined =>
  typeof value === "string" && value !== "" ? value : undefined;

// Waiting reasons that only mean "starting": not a cause.
const STARTING = new Set(["ContainerCreating", "PodInitializing"]);

/**
 * workloadSelector is the label selector of a workload's pods, as the apiserver takes it in `labelSelector`
 * (matchLabels and matchExpressions), or undefined when it has none.
 */
export function workloadSelector(workload: KubeObject): string | undefined {
  const selector = record(record(workload.spec)?.selector);
  if (!selector) return undefined;
  const parts = Object.entries(record(selector.matchLabels) ?? {}).map(
    ([key, value]) => `${key}=${String(value)}`,
  );
  for (const expression of list(selector.matchExpressions)) {
    const key = String(expression.key);
    const values = Array.isArray(expression.values) ? expression.values.map(String).join(",") : "";
    if (expression.operator === "In") parts.push(`${key} in (${values})`);
    else if (expression.operator === "NotIn") parts.push(`${key} notin (${values})`);
    else if (expression.operator === "Exists") parts.push(key);
    else if (expression.operator === "DoesNotExist") parts.push(`!${key}`);
  }
  return parts.length > 0 ? parts.join(",") : undefined;
}

/**
 * podCause says why one pod keeps its workload from being healthy, in the words `kubectl describe pod` would give:
 * not scheduled (and why), a container waiting (CrashLoopBackOff, ImagePullBackOff, …) with its last exit code, a
 * container that exited non-zero, one running but not ready (its readiness probe is not passing), or a failed pod.
 * Undefined for a pod that is fine or only starting.
 */
export function podCause(pod: KubeObject): string | undefined {
  const status = record(pod.status) ?? {};
  const scheduled = list(status.conditions).find((c) => c.type === "PodScheduled");
  if (scheduled?.status === "False") {
    return `not scheduled: ${[text(scheduled.reason), text(scheduled.message)].filter(Boolean).join(": ")}`;
  }
  if (status.phase === "Failed") {
    return `failed: ${[text(status.reason), text(status.message)].filter(Boolean).join(": ") || "pod failed"}`;
  }
  const containers: (Json & { init: boolean })[] = [
    ...list(status.initContainerStatuses).map((c) => ({ ...c, init: true })),
    ...list(status.containerStatuses).map((c) => ({ ...c, init: false })),
  ];
  for (const container of containers) {
    const name = `${container.init ? "init container" : "container"} ${String(container.name)}`;
    const state = record(container.state) ?? {};
    const last = record(record(container.lastState)?.terminated);
    const exit = last
      ? `, last exit code ${String(last.exitCode)}${text(last.reason) ? ` (${text(last.reason)})` : ""}`
      : "";
    const restarts =
      typeof container.restartCount === "number" && container.restartCount > 0
        ? `, ${container.restartCount} restarts`
        : "";
    const waiting = record(state.waiting);
    const reason = text(waiting?.reason);
    if (reason && !STARTING.has(reason)) {
      return `${name} waiting: ${reason}${text(waiting?.message) ? `: ${text(waiting?.message)}` : ""}${exit}${restarts}`;
    }
    const terminated = record(state.terminated);
    if (terminated && terminated.exitCode !== 0) {
      return `${name} exited with code ${String(terminated.exitCode)}${text(terminated.reason) ? ` (${text(terminated.reason)})` : ""}${text(terminated.message) ? `: ${text(terminated.message)}` : ""}`;
    }
    if (!container.init && record(state.running) && container.ready === false) {
      return `${name} running but not ready: its readiness probe is not passing${restarts}`;
    }
  }
  return undefined;
}

/**
 * podCauses names the causes found among a workload's pods, most telling first, one per distinct cause with the
 * pods that show it: `pod web-7d9 (and 1 more): container app waiting: CrashLoopBackOff…`. At most `limit` causes.
 */
export function podCauses(pods: readonly KubeObject[], limit = 3): string[] {
  const byCause = new Map<string, string[]>();
  for (const pod of pods) {
    const cause = podCause(pod);
    if (cause) byCause.set(cause, [...(byCause.get(cause) ?? []), pod.metadata.name]);
  }
  return [...byCause.entries()].slice(0, limit).map(([cause, names]) => {
    const more = names.length > 1 ? ` (and ${names.length - 1} more)` : "";
    return `pod ${names[0]}${more}: ${cause}`;
  });
}

/**
 * KIND_ORDER is the order in which kinds are applied: namespaces and CRDs first because everything else may live in
 * one or be one; the rest follows Helm's install order so that what a workload mounts or runs as exists before it
 * (https://github.com/helm/helm/blob/main/pkg/release/util/kind_sorter.go). Kinds not listed, custom resources
 * included, come last, after the CRDs that define them.
 */
export const KIND_ORDER: readonly string[] = [
  "Namespace",
  "CustomResourceDefinition",
  "PriorityClass",
  "NetworkPolicy",
  "ResourceQuota",
  "LimitRange",
  "PodDisruptionBudget",
  "ServiceAccount",
  "Secret",
  "ConfigMap",
  "StorageClass",
  "PersistentVolume",
  "PersistentVolumeClaim",
  "ClusterRole",
  "ClusterRoleBinding",
  "Role",
  "RoleBinding",
  "Service",
  "DaemonSet",
  "Pod",
  "ReplicationController",
  "ReplicaSet",
  "Deployment",
  "HorizontalPodAutoscaler",
  "StatefulSet",
  "Job",
  "CronJob",
  "IngressClass",
  "Ingress",
  "APIService",
  "MutatingWebhookConfiguration",
  "ValidatingWebhookConfiguration",
];

const rank = new Map(KIND_ORDER.map((kind, index) => [kind, index]));

/** kindRank is the position of a kind in KIND_ORDER, or one past its end for kinds it does not list. */
export function kindRank(kind: unknown): number {
  return (typeof kind === "string" ? rank.get(kind) : undefined) ?? KIND_ORDER.length;
}

/**
 * sortForApply returns objects in apply order (Namespace, CustomResourceDefinition, …, unknown kinds last),
 * keeping the input order among objects of the same rank. File names cannot decide this: one file may hold a
 * Namespace after a Deployment, and `00-crds.yaml` is only a habit.
 */
export function sortForApply<T extends { readonly kind?: unknown }>(objects: readonly T[]): T[] {
  return objects
    .map((object, index) => ({ object, index, rank: kindRank(object.kind) }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map((entry) => entry.object);
}

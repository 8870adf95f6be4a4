import {
  APPLY_ROLE_NAME,
  clusterRoleName,
  SELF_ROLE_NAME,
  STATE_CONFIG_MAP_NAME,
  STATE_SHARD_NAMES,
} from "../controller/desired/render/own-names.js";
import { type InstallOptions, metadata, NAME } from "./options.js";

const WRITE = ["get", "list", "watch", "create", "update", "patch", "delete"];
const READ = ["get", "list", "watch"];
/**
 * APPLY_ONLY is what applying and pruning a kind needs and no more: server-side apply is a PATCH (and a create when
 * the object is new), both applyers GET the live object first, prune GETs then DELETEs it. No list or watch, so
 * the controller cannot read every object of the kind, only the ones it names.
 */
const APPLY_ONLY = ["get", "create", "patch", "delete"];

/**
 * APPLY_RULES are the namespaced kinds a GitOps controller applies and prunes. Pods and ReplicaSets are read only:
 * the health wait looks at them, nothing applies them directly.
 */
export const APPLY_RULES = [
  {
    apiGroups: [""],
    resources: ["configmaps", "services", "serviceaccounts", "persistentvolumeclaims"],
    verbs: WRITE,
  },
  // Secrets by name only: without list and watch it cannot read a Secret that is not in git.
  { apiGroups: [""], resources: ["secrets"], verbs: APPLY_ONLY },
  { apiGroups: [""], resources: ["pods", "endpoints"], verbs: READ },
  { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
  { apiGroups: ["apps"], resources: ["deployments", "statefulsets", "daemonsets"], verbs: WRITE },
  { apiGroups: ["apps"], resources: ["replicasets", "controllerrevisions"], verbs: READ },
  { apiGroups: ["batch"], resources: ["jobs", "cronjobs"], verbs: WRITE },
  { apiGroups: ["networking.k8s.io"], resources: ["ingresses", "networkpolicies"], verbs: WRITE },
  { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: WRITE },
  { apiGroups: ["autoscaling"], resources: ["horizontalpodautoscalers"], verbs: WRITE },
  { apiGroups: ["rbac.authorization.k8s.io"], resources: ["roles", "rolebindings"], verbs: WRITE },
];

/** CLUSTER_RULES are added when no namespace allowlist is set: namespaces and CRDs are cluster-scoped. */
export const CLUSTER_RULES = [
  // delete: prune removes a Namespace that left git (only one it applied: prune checks the live object's labels).
  { apiGroups: [""], resources: ["namespaces"], verbs: APPLY_ONLY },
  { apiGroups: ["apiextensions.k8s.io"], resources: ["customresourcedefinitions"], verbs: WRITE },
];

/**
 * OWN_NAMESPACE_RULES let the controller keep its state ConfigMaps and leader Lease in its own namespace. ConfigMaps
 * are read and updated by name only (create cannot be limited: RBAC does not know the name then), so it cannot
 * read or rewrite its own gitops-config ConfigMap unless its namespace is also one it applies into.
 */
export const OWN_NAMESPACE_RULES = [
  // Leases are not limited by name: nothing of the install's is in a Lease but the election and the members' own.
  // list: with sharding each member reads the others' Leases (by label) to know who is live.
  { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "list", "create", "update"] },
  { apiGroups: [""], resources: ["configmaps"], verbs: ["create"] },
  {
    apiGroups: [""],
    resources: ["configmaps"],
    // The state's shards too: a state too big for one ConfigMap is split over them by name.
    resourceNames: [STATE_CONFIG_MAP_NAME, ...STATE_SHARD_NAMES],
    verbs: ["get", "update"],
  },
  { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
];

const subject = (options: InstallOptions) => [
  { kind: "ServiceAccount", name: NAME, namespace: options.namespace },
];

/** serviceAccount is the identity the controller's pods run as. */
export function serviceAccount(options: InstallOptions) {
  return { apiVersion: "v1", kind: "ServiceAccount", metadata: metadata(options, NAME, options.namespace) };
}

function role(options: InstallOptions, name: string, namespace: string, rules: unknown[]) {
  return [
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: metadata(options, name, namespace),
      rules,
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: metadata(options, name, namespace),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
      subjects: subject(options),
    },
  ];
}

/**
 * rbac grants the controller what it applies: cluster-wide when no allowlist is configured, otherwise one Role per
 * allowed namespace so that it cannot touch (or read Secrets in) any other namespace. Its own namespace always gets
 * a Role for the leader-election Lease and the state ConfigMap.
 *
 * What the cluster-wide mode amounts to: it can create Deployments, Secrets, ServiceAccounts, Roles and
 * RoleBindings in every namespace, kube-system included, so a pod it applies can run as any ServiceAccount there.
 * Whoever can push to a watched repository is then as good as cluster-admin. Use `namespaces` unless that is meant.
 */
export function rbac(options: InstallOptions): unknown[] {
  const own = role(options, SELF_ROLE_NAME, options.namespace, OWN_NAMESPACE_RULES);
  const extra = options.rbacRules ?? [];
  if (options.namespaces) {
    const rules = [...APPLY_RULES, ...extra];
    return [...own, ...options.namespaces.flatMap((ns) => role(options, APPLY_ROLE_NAME, ns, rules))];
  }
  const name = clusterRoleName(options.namespace);
  return [
    ...own,
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: metadata(options, name),
      rules: [...APPLY_RULES, ...CLUSTER_RULES, ...extra],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: metadata(options, name),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
      subjects: subject(options),
    },
  ];
}

import { type InstallOptions, metadata, NAME } from "./options.js";

const WRITE = ["get", "list", "watch", "create", "update", "patch", "delete"];
const READ = ["get", "list", "watch"];

/**
 * APPLY_RULES are the namespaced kinds a GitOps controller applies and prunes. Pods and ReplicaSets are read only:
 * the health wait looks at them, nothing applies them directly.
 */
export const APPLY_RULES = [
  {
    apiGroups: [""],
    resources: ["configmaps", "secrets", "services", "serviceaccounts", "persistentvolumeclaims"],
    verbs: WRITE,
  },
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
  { apiGroups: [""], resources: ["namespaces"], verbs: WRITE },
  { apiGroups: ["apiextensions.k8s.io"], resources: ["customresourcedefinitions"], verbs: WRITE },
];

/** OWN_NAMESPACE_RULES let the controller keep its state ConfigMap and leader Lease in its own namespace. */
export const OWN_NAMESPACE_RULES = [
  {
    apiGroups: ["coordination.k8s.io"],
    resources: ["leases"],
    verbs: ["get", "list", "watch", "create", "update"],
  },
  {
    apiGroups: [""],
    resources: ["configmaps"],
    verbs: ["get", "list", "watch", "create", "update", "patch"],
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
 */
export function rbac(options: InstallOptions): unknown[] {
  const own = role(options, `${NAME}-self`, options.namespace, OWN_NAMESPACE_RULES);
  if (options.namespaces) {
    return [...own, ...options.namespaces.flatMap((ns) => role(options, `${NAME}-apply`, ns, APPLY_RULES))];
  }
  const name = `simple-gitops:${options.namespace}:${NAME}`;
  return [
    ...own,
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: metadata(options, name),
      rules: [...APPLY_RULES, ...CLUSTER_RULES],
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

import { groupOf, type KubeObject } from "./types.js";

// Built-in kinds that live outside namespaces, keyed `group/Kind` (core group is "").
// https://kubernetes.io/docs/reference/generated/kubernetes-api/ — "kubectl api-resources --namespaced=false".
const BUILT_IN_CLUSTER_SCOPED = new Set([
  "/Namespace",
  "/Node",
  "/PersistentVolume",
  "/ComponentStatus",
  "rbac.authorization.k8s.io/ClusterRole",
  "rbac.authorization.k8s.io/ClusterRoleBinding",
  "apiextensions.k8s.io/CustomResourceDefinition",
  "apiregistration.k8s.io/APIService",
  "admissionregistration.k8s.io/MutatingWebhookConfiguration",
  "admissionregistration.k8s.io/ValidatingWebhookConfiguration",
  "admissionregistration.k8s.io/ValidatingAdmissionPolicy",
  "admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding",
  "admissionregistration.k8s.io/MutatingAdmissionPolicy",
  "admissionregistration.k8s.io/MutatingAdmissionPolicyBinding",
  "storage.k8s.io/StorageClass",
  "storage.k8s.io/CSIDriver",
  "storage.k8s.io/CSINode",
  "storage.k8s.io/VolumeAttachment",
  "storage.k8s.io/VolumeAttributesClass",
  "scheduling.k8s.io/PriorityClass",
  "node.k8s.io/RuntimeClass",
  "networking.k8s.io/IngressClass",
  "networking.k8s.io/IPAddress",
  "networking.k8s.io/ServiceCIDR",
  "certificates.k8s.io/CertificateSigningRequest",
  "certificates.k8s.io/ClusterTrustBundle",
  "flowcontrol.apiserver.k8s.io/FlowSchema",
  "flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration",
  "resource.k8s.io/DeviceClass",
  "resource.k8s.io/ResourceSlice",
  "policy/PodSecurityPolicy",
]);

// Built-in kinds that live in a namespace, keyed `group/Kind`: "kubectl api-resources --namespaced=true".
const BUILT_IN_NAMESPACED = new Set([
  "/Binding",
  "/ConfigMap",
  "/Endpoints",
  "/Event",
  "/LimitRange",
  "/PersistentVolumeClaim",
  "/Pod",
  "/PodTemplate",
  "/ReplicationController",
  "/ResourceQuota",
  "/Secret",
  "/Service",
  "/ServiceAccount",
  "apps/ControllerRevision",
  "apps/DaemonSet",
  "apps/Deployment",
  "apps/ReplicaSet",
  "apps/StatefulSet",
  "authorization.k8s.io/LocalSubjectAccessReview",
  "autoscaling/HorizontalPodAutoscaler",
  "batch/CronJob",
  "batch/Job",
  "coordination.k8s.io/Lease",
  "discovery.k8s.io/EndpointSlice",
  "events.k8s.io/Event",
  "networking.k8s.io/Ingress",
  "networking.k8s.io/NetworkPolicy",
  "policy/PodDisruptionBudget",
  "rbac.authorization.k8s.io/Role",
  "rbac.authorization.k8s.io/RoleBinding",
  "resource.k8s.io/ResourceClaim",
  "resource.k8s.io/ResourceClaimTemplate",
  "storage.k8s.io/CSIStorageCapacity",
]);

/** Scope is where objects of a kind live; undefined when it is not known. */
export type Scope = "Cluster" | "Namespaced";

/** ScopeLookup answers an object's kind's scope, or undefined when neither built-ins, CRDs nor discovery know it. */
export type ScopeLookup = (object: Pick<KubeObject, "apiVersion" | "kind">) => Scope | undefined;

/** KnownScopes are scopes learned outside the set (e.g. from discovery), as `group/Kind` keys. */
export interface KnownScopes {
  readonly cluster?: Iterable<string>;
  readonly namespaced?: Iterable<string>;
}

/** kindKey is the `group/Kind` key of an object's kind (core group is ""). */
export function kindKey(object: Pick<KubeObject, "apiVersion" | "kind">): string {
  return `${groupOf(object.apiVersion)}/${object.kind}`;
}

/**
 * BUILT_IN_GROUPS are the API groups kube-apiserver serves itself ("" is core). A CustomResourceDefinition in one of
 * them could shadow a built-in kind (the apiserver accepts one in a `*.k8s.io` group with the
 * `api-approved.kubernetes.io` annotation), so render refuses it (see checkCrdGroups).
 */
export const BUILT_IN_GROUPS: ReadonlySet<string> = new Set([
  ...[...BUILT_IN_CLUSTER_SCOPED, ...BUILT_IN_NAMESPACED].map((key) => key.slice(0, key.indexOf("/"))),
  "extensions",
  "authentication.k8s.io",
  "internal.apiserver.k8s.io",
  "storagemigration.k8s.io",
  "metrics.k8s.io",
]);

/**
 * scopeLookup knows the built-in kinds, the kinds of CRDs found in `objects` (by their `spec.scope`), and any
 * `known` `group/Kind` keys (e.g. from discovery). The built-in table is asked first: neither a CRD nor discovery
 * can make a built-in kind change scope. A kind none of these know is undefined: the caller decides.
 */
export function scopeLookup(objects: readonly KubeObject[], known: KnownScopes = {}): ScopeLookup {
  const cluster = new Set(known.cluster ?? []);
  const namespaced = new Set(known.namespaced ?? []);
  for (const object of objects) {
    const crd = crdKind(object);
    if (crd?.scope === "Cluster") cluster.add(crd.key);
    else if (crd?.scope === "Namespaced") namespaced.add(crd.key);
  }
  return (object) => {
    const key = kindKey(object);
    if (BUILT_IN_CLUSTER_SCOPED.has(key)) return "Cluster";
    if (BUILT_IN_NAMESPACED.has(key)) return "Namespaced";
    if (cluster.has(key)) return "Cluster";
    if (namespaced.has(key)) return "Namespaced";
    return undefined;
  };
}

/** crdKind is the `group/Kind` key, group and declared scope of a CustomResourceDefinition, or undefined. */
export function crdKind(object: KubeObject): { key: string; group: string; scope: unknown } | undefined {
  if (object.kind !== "CustomResourceDefinition" || groupOf(object.apiVersion) !== "apiextensions.k8s.io") {
    return undefined;
  }
  const spec = object.spec as { group?: unknown; scope?: unknown; names?: { kind?: unknown } } | undefined;
  if (typeof spec?.group !== "string" || typeof spec.names?.kind !== "string") return undefined;
  return { key: `${spec.group}/${spec.names.kind}`, group: spec.group, scope: spec.scope };
}

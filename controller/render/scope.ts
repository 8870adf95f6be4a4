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

/** ScopeResolver answers whether an object's kind is cluster-scoped. */
export type ScopeResolver = (object: Pick<KubeObject, "apiVersion" | "kind">) => boolean;

/**
 * clusterScopeResolver knows the built-in cluster-scoped kinds, the kinds of CRDs with `scope: Cluster` found in
 * `objects`, and any `extra` `group/Kind` keys (e.g. from discovery). Unknown kinds count as namespaced, which is
 * what most custom resources are.
 */
export function clusterScopeResolver(
  objects: readonly KubeObject[],
  extra: Iterable<string> = [],
): ScopeResolver {
  const known = new Set([...BUILT_IN_CLUSTER_SCOPED, ...extra]);
  for (const object of objects) {
    if (object.kind !== "CustomResourceDefinition") continue;
    const spec = object.spec as { group?: unknown; scope?: unknown; names?: { kind?: unknown } } | undefined;
    if (spec?.scope === "Cluster" && typeof spec.group === "string" && typeof spec.names?.kind === "string") {
      known.add(`${spec.group}/${spec.names.kind}`);
    }
  }
  return (object) => known.has(`${groupOf(object.apiVersion)}/${object.kind}`);
}

import { RenderError } from "./errors.js";
import type { ScopeResolver } from "./scope.js";
import { describeRef, type KubeObject, refOf } from "./types.js";

/** NamespacePolicy is the configured namespace allowlist; no list means every namespace is allowed. */
export interface NamespacePolicy {
  namespaces?: readonly string[];
  /**
   * allowClusterScoped lets a restricted config still apply cluster-scoped objects (ClusterRoles, CRDs).
   * Off by default: with an allowlist, a ClusterRoleBinding could otherwise grant access beyond it.
   */
  allowClusterScoped?: boolean;
}

/**
 * checkNamespaces refuses, before anything is sent, a set containing an object outside the allowlist. A Namespace
 * object counts as being in itself. The error lists every offending object, not just the first.
 */
export function checkNamespaces(
  objects: readonly KubeObject[],
  policy: NamespacePolicy,
  isClusterScoped: ScopeResolver,
): void {
  const allowed = policy.namespaces;
  if (!allowed || allowed.length === 0) return;
  const set = new Set(allowed);
  const refused: string[] = [];
  for (const object of objects) {
    if (object.kind === "Namespace" && object.apiVersion === "v1") {
      if (!set.has(object.metadata.name)) refused.push(describeRef(refOf(object)));
    } else if (isClusterScoped(object)) {
      if (!policy.allowClusterScoped) refused.push(`${describeRef(refOf(object))} (cluster-scoped)`);
    } else if (!object.metadata.namespace || !set.has(object.metadata.namespace)) {
      refused.push(describeRef(refOf(object)));
    }
  }
  if (refused.length > 0) {
    throw new RenderError(
      "E_NAMESPACE_NOT_ALLOWED",
      refused.join(", "),
      `outside the namespace allowlist (allowed: ${allowed.join(", ")}); nothing was applied`,
    );
  }
}

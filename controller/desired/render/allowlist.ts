import { DesiredSetError } from "../errors.js";
import { sourcePaths } from "./own-objects.js";
import { kindKey, type ScopeLookup } from "./scope.js";
import { describeRef, type KubeObject, refOf } from "./types.js";

/** NamespacePolicy is the configured namespace allowlist; no list means every namespace is allowed. */
export interface NamespacePolicy {
  namespaces?: readonly string[];
  /**
   * clusterKinds are the cluster-scoped kinds a set may contain, as `Kind` (any group) or `group/Kind` (the
   * `cluster_kinds` config key). Not given: none when `namespaces` is set (a ClusterRoleBinding could otherwise grant
   * access beyond it), every one when it is not. A Namespace object is governed by `namespaces` instead.
   */
  clusterKinds?: readonly string[];
}

/** clusterKindAllowed tells whether a `group/Kind` key matches an entry of `cluster_kinds`. */
export function clusterKindAllowed(key: string, clusterKinds: readonly string[]): boolean {
  const kind = key.slice(key.indexOf("/") + 1);
  return clusterKinds.some((entry) => (entry.includes("/") ? entry === key : entry === kind));
}

/**
 * checkNamespaces refuses, before anything is sent, a set containing an object outside the allowlist: a namespaced
 * object in a namespace not listed, a cluster-scoped object whose kind is not in `clusterKinds`, or (with any
 * allowlist) an object whose kind's scope is not known, since it might be cluster-scoped. A Namespace object counts
 * as being in itself. The error lists every offending object and why; its subject is their source file(s).
 */
export function checkNamespaces(
  objects: readonly KubeObject[],
  policy: NamespacePolicy,
  scope: ScopeLookup,
): void {
  const allowed = policy.namespaces && policy.namespaces.length > 0 ? new Set(policy.namespaces) : undefined;
  const clusterKinds = policy.clusterKinds ?? (allowed ? [] : undefined);
  if (!allowed && !clusterKinds) return;
  const refused: { object: KubeObject; why: string }[] = [];
  const refuse = (object: KubeObject, why: string) => refused.push({ object, why });
  for (const object of objects) {
    const key = kindKey(object);
    if (object.kind === "Namespace" && object.apiVersion === "v1") {
      if (allowed && !allowed.has(object.metadata.name)) refuse(object, "not in namespaces");
      continue;
    }
    const where = scope(object);
    if (where === undefined) {
      refuse(
        object,
        `the scope of kind ${key} is not known (not built in, no CustomResourceDefinition for it in the set), so it could be cluster-scoped`,
      );
    } else if (where === "Cluster") {
      if (clusterKinds && !clusterKindAllowed(key, clusterKinds)) {
        refuse(object, `cluster-scoped kind ${key} is not in cluster_kinds`);
      }
    } else if (allowed && (!object.metadata.namespace || !allowed.has(object.metadata.namespace))) {
      refuse(object, `namespace ${object.metadata.namespace ?? "(none)"} is not in namespaces`);
    }
  }
  if (refused.length > 0) {
    const limits = [
      ...(allowed ? [`namespaces: ${[...allowed].join(", ")}`] : []),
      `cluster_kinds: ${clusterKinds && clusterKinds.length > 0 ? clusterKinds.join(", ") : "none"}`,
    ];
    throw new DesiredSetError(
      "E_NAMESPACE_NOT_ALLOWED",
      sourcePaths(refused.map((r) => r.object)),
      `${refused.map((r) => `${describeRef(refOf(r.object))} refused: ${r.why}`).join("; ")} (allowed ${limits.join("; ")}); nothing was applied`,
    );
  }
}

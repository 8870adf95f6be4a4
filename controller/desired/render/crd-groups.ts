import { DesiredSetError } from "../errors.js";
import { sourcePaths } from "./own-objects.js";
import { BUILT_IN_GROUPS, crdKind } from "./scope.js";
import { describeRef, type KubeObject, refOf } from "./types.js";

/**
 * checkCrdGroups refuses a set holding a CustomResourceDefinition in an API group kube-apiserver serves itself
 * (`apps`, `batch`, `rbac.authorization.k8s.io`, …): such a CRD could declare a built-in kind with another scope and
 * slip past every check that depends on where objects live. CRDs in other groups, `*.k8s.io` sub-groups that
 * Kubernetes leaves to add-ons included (`gateway.networking.k8s.io`, `snapshot.storage.k8s.io`), are applied.
 */
export function checkCrdGroups(objects: readonly KubeObject[]): void {
  const refused = objects.filter((object) => {
    const crd = crdKind(object);
    return crd !== undefined && BUILT_IN_GROUPS.has(crd.group);
  });
  if (refused.length === 0) return;
  throw new DesiredSetError(
    "E_CRD_RESERVED_GROUP",
    sourcePaths(refused),
    `${refused
      .map(
        (crd) =>
          `${describeRef(refOf(crd))} declares a kind in API group ${crdKind(crd)?.group}, which Kubernetes serves itself`,
      )
      .join(
        "; ",
      )}; a CustomResourceDefinition may not extend or shadow a built-in group; nothing was applied`,
  );
}

import { describeRef, groupOf, type KubeObject, refOf } from "../kube/objects.js";
import { effectiveServiceAccount, podSpecOf } from "../kube/pod-spec.js";
import type { ObjectApplyResult } from "./applyer.js";

/** PhaseSteps are what an applyer does for one batch, and how it waits for new CRDs to be served. */
export interface PhaseSteps {
  applyBatch(objects: readonly KubeObject[]): Promise<ObjectApplyResult[]>;
  waitEstablished(crds: readonly ObjectApplyResult[]): Promise<void>;
}

const RBAC = "rbac.authorization.k8s.io";

/** isPrerequisite is true for what other objects live in or are instances of: Namespaces and CRDs. */
export function isPrerequisite(object: Pick<KubeObject, "apiVersion" | "kind">): boolean {
  return (
    (object.kind === "Namespace" && object.apiVersion === "v1") ||
    (object.kind === "CustomResourceDefinition" && groupOf(object.apiVersion) === "apiextensions.k8s.io")
  );
}

/**
 * isReferencedByName is true for what the apiserver looks up by name when another object is admitted: a Role or
 * ClusterRole when a binding to it is checked for escalation (a caller without `bind` may bind only a role that
 * exists and grants no more than it holds), and a ServiceAccount when a Pod that runs as it is created.
 */
function isReferencedByName(object: Pick<KubeObject, "apiVersion" | "kind">): boolean {
  return (
    (groupOf(object.apiVersion) === RBAC && (object.kind === "Role" || object.kind === "ClusterRole")) ||
    (object.kind === "ServiceAccount" && object.apiVersion === "v1")
  );
}

/**
 * applyInPhases applies Namespaces and CRDs first and waits for the new CRDs to be served; then Roles, ClusterRoles
 * and ServiceAccounts; then the rest. Objects of one phase may be applied side by side, so an object never races
 * what the apiserver must find when admitting it. An object whose Namespace, CRD, role or ServiceAccount in the same
 * set failed is not sent: it is `skipped`, naming what failed, because the server could only reject it with a less
 * helpful message (a binding to a missing role is answered "not found" for the binding itself). Results come back
 * in input order.
 */
export async function applyInPhases(
  objects: readonly KubeObject[],
  steps: PhaseSteps,
): Promise<ObjectApplyResult[]> {
  const results = new Map<KubeObject, ObjectApplyResult>();
  const phases = [
    objects.filter(isPrerequisite),
    objects.filter(isReferencedByName),
    objects.filter((object) => !isPrerequisite(object) && !isReferencedByName(object)),
  ];
  for (const [index, phase] of phases.entries()) {
    const blockedBy = failedReferences(objects, results);
    const send: KubeObject[] = [];
    for (const object of phase) {
      const blocker = blockedBy(object);
      if (blocker) results.set(object, { ...refOf(object), action: "skipped", message: blocker });
      else send.push(object);
    }
    if (send.length === 0) continue;
    const done = await steps.applyBatch(send);
    for (const [i, object] of send.entries()) results.set(object, done[i] as ObjectApplyResult);
    if (index === 0) {
      await steps.waitEstablished(
        done.filter((result) => result.kind === "CustomResourceDefinition" && result.action !== "failed"),
      );
    }
  }
  return objects.map((object) => results.get(object) as ObjectApplyResult);
}

/** failedReferences names, for an object, the object of an earlier phase it needs that failed or was skipped. */
function failedReferences(
  objects: readonly KubeObject[],
  results: ReadonlyMap<KubeObject, ObjectApplyResult>,
): (object: KubeObject) => string | undefined {
  const failed = new Map<string, string>();
  for (const object of objects) {
    const action = results.get(object)?.action;
    if (action !== "failed" && action !== "skipped") continue;
    const why = `not sent: ${describeRef(refOf(object))} in the same set ${action === "failed" ? "failed to apply" : "was not sent"}`;
    const { name, namespace } = object.metadata;
    if (object.kind === "Namespace") failed.set(`ns/${name}`, why);
    const spec = object.spec as { group?: unknown; names?: { kind?: unknown } } | undefined;
    if (object.kind === "CustomResourceDefinition" && typeof spec?.group === "string")
      failed.set(`kind/${spec.group}/${String(spec.names?.kind)}`, why);
    if (object.kind === "Role") failed.set(`Role/${namespace}/${name}`, why);
    if (object.kind === "ClusterRole") failed.set(`ClusterRole/${name}`, why);
    if (object.kind === "ServiceAccount") failed.set(`ServiceAccount/${namespace}/${name}`, why);
  }
  if (failed.size === 0) return () => undefined;
  return (object) => {
    const { namespace } = object.metadata;
    const roleRef = object.roleRef as { kind?: unknown; name?: unknown } | undefined;
    const pod = podAccount(object);
    return (
      failed.get(`kind/${groupOf(object.apiVersion)}/${object.kind}`) ??
      (namespace ? failed.get(`ns/${namespace}`) : undefined) ??
      (groupOf(object.apiVersion) === RBAC && roleRef
        ? failed.get(
            roleRef.kind === "Role"
              ? `Role/${namespace}/${String(roleRef.name)}`
              : `ClusterRole/${String(roleRef.name)}`,
          )
        : undefined) ??
      (pod ? failed.get(`ServiceAccount/${namespace}/${pod}`) : undefined)
    );
  };
}

/** podAccount is the ServiceAccount a bare Pod runs as, the only kind whose creation fails without it. */
function podAccount(object: KubeObject): string | undefined {
  if (object.kind !== "Pod" || object.apiVersion !== "v1") return undefined;
  const spec = podSpecOf(object);
  return spec ? effectiveServiceAccount(spec) : undefined;
}

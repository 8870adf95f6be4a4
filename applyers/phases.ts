import { describeRef, groupOf, type KubeObject, refOf } from "../kube/objects.js";
import type { ObjectApplyResult } from "./applyer.js";

/** PhaseSteps are what an applyer does for one batch, and how it waits for new CRDs to be served. */
export interface PhaseSteps {
  applyBatch(objects: readonly KubeObject[]): Promise<ObjectApplyResult[]>;
  waitEstablished(crds: readonly ObjectApplyResult[]): Promise<void>;
}

/** isPrerequisite is true for what other objects live in or are instances of: Namespaces and CRDs. */
export function isPrerequisite(object: Pick<KubeObject, "apiVersion" | "kind">): boolean {
  return (
    (object.kind === "Namespace" && object.apiVersion === "v1") ||
    (object.kind === "CustomResourceDefinition" && groupOf(object.apiVersion) === "apiextensions.k8s.io")
  );
}

/**
 * applyInPhases applies Namespaces and CRDs first and waits for the new CRDs to be served, then the rest. An object
 * whose Namespace or CRD in the same set failed is not sent: it is `skipped`, naming the prerequisite, because the
 * server could only reject it with a less helpful message. Results come back in input order.
 */
export async function applyInPhases(
  objects: readonly KubeObject[],
  steps: PhaseSteps,
): Promise<ObjectApplyResult[]> {
  const results = new Map<KubeObject, ObjectApplyResult>();
  const first = objects.filter(isPrerequisite);
  if (first.length > 0) {
    const done = await steps.applyBatch(first);
    for (const [i, object] of first.entries()) results.set(object, done[i] as ObjectApplyResult);
    await steps.waitEstablished(
      done.filter((result) => result.kind === "CustomResourceDefinition" && result.action !== "failed"),
    );
  }
  const blockedBy = failedPrerequisites(first, results);
  const rest: KubeObject[] = [];
  for (const object of objects) {
    if (isPrerequisite(object)) continue;
    const blocker = blockedBy(object);
    if (blocker) results.set(object, { ...refOf(object), action: "skipped", message: blocker });
    else rest.push(object);
  }
  if (rest.length > 0) {
    const done = await steps.applyBatch(rest);
    for (const [i, object] of rest.entries()) results.set(object, done[i] as ObjectApplyResult);
  }
  return objects.map((object) => results.get(object) as ObjectApplyResult);
}

function failedPrerequisites(
  prerequisites: readonly KubeObject[],
  results: ReadonlyMap<KubeObject, ObjectApplyResult>,
): (object: KubeObject) => string | undefined {
  const namespaces = new Map<string, string>();
  const kinds = new Map<string, string>();
  for (const object of prerequisites) {
    if (results.get(object)?.action !== "failed") continue;
    const why = `not sent: ${describeRef(refOf(object))} in the same set failed to apply`;
    if (object.kind === "Namespace") namespaces.set(object.metadata.name, why);
    const spec = object.spec as { group?: unknown; names?: { kind?: unknown } } | undefined;
    if (object.kind === "CustomResourceDefinition" && typeof spec?.group === "string")
      kinds.set(`${spec.group}/${String(spec.names?.kind)}`, why);
  }
  return (object) =>
    kinds.get(`${groupOf(object.apiVersion)}/${object.kind}`) ??
    (object.metadata.namespace ? namespaces.get(object.metadata.namespace) : undefined);
}

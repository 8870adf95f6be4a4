import { groupOf, type KubeObject, type ObjectRef, refKey, refOf } from "../kube/objects.js";

/** ObjectIndex finds an object returned by the server that corresponds to a ref we sent. */
export interface ObjectIndex {
  find(ref: ObjectRef): KubeObject | undefined;
}

/**
 * objectIndex indexes server objects by identity. When a ref has no match with its namespace, a match by
 * group/kind/name is accepted if it is unique: the server drops the namespace of cluster-scoped kinds and fills
 * in the default one for namespaced objects sent without.
 */
export function objectIndex(objects: readonly KubeObject[]): ObjectIndex {
  const exact = new Map<string, KubeObject>();
  const loose = new Map<string, KubeObject | null>();
  for (const object of objects) {
    if (!object?.metadata?.name) continue;
    const ref = refOf(object);
    exact.set(refKey(ref), object);
    const key = looseKey(ref);
    loose.set(key, loose.has(key) ? null : object);
  }
  return {
    find: (ref) => exact.get(refKey(ref)) ?? loose.get(looseKey(ref)) ?? undefined,
  };
}

function looseKey(ref: ObjectRef): string {
  return `${groupOf(ref.apiVersion)}/${ref.kind}/${ref.name}`;
}

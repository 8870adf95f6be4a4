import { type KubeRequest, statusMessage } from "./http.js";
import type { KubeObject, ObjectRef } from "./objects.js";

/**
 * CustomResourceLister lists, in every namespace, custom resources of a CustomResourceDefinition (the live object),
 * at most MAX_CUSTOM_RESOURCES: enough to say which still exist. Empty when the CRD serves no version.
 */
export type CustomResourceLister = (crd: KubeObject, signal?: AbortSignal) => Promise<ObjectRef[]>;

/** MAX_CUSTOM_RESOURCES bounds one listing: naming a few is enough to say what holds a CRD back. */
export const MAX_CUSTOM_RESOURCES = 20;

interface CrdSpec {
  readonly group?: string;
  readonly names?: { readonly plural?: string; readonly kind?: string };
  readonly versions?: readonly {
    readonly name: string;
    readonly served?: boolean;
    readonly storage?: boolean;
  }[];
}

/** createCustomResourceLister lists through the apiserver at the CRD's storage version, under the request's deadline. */
export function createCustomResourceLister(request: KubeRequest): CustomResourceLister {
  return async (crd, signal) => {
    const spec = (crd.spec ?? {}) as CrdSpec;
    const served = spec.versions?.filter((version) => version.served !== false) ?? [];
    const version = (served.find((candidate) => candidate.storage) ?? served[0])?.name;
    const { group, names } = spec;
    if (!group || !names?.plural || !names.kind || !version) return [];
    const path = `/apis/${group}/${version}/${names.plural}?limit=${MAX_CUSTOM_RESOURCES}`;
    const res = await request("GET", path, undefined, signal ? { signal } : {});
    // Not served (yet, or any more): nothing of it can exist to wait for.
    if (res.status === 404) return [];
    if (res.status !== 200) throw new Error(`${names.plural}.${group}: ${statusMessage(res)}`);
    const items = (res.body as { items?: unknown }).items;
    if (!Array.isArray(items)) return [];
    return (items as KubeObject[]).map((item) => ({
      apiVersion: `${group}/${version}`,
      kind: names.kind as string,
      name: item.metadata.name,
      ...(item.metadata.namespace ? { namespace: item.metadata.namespace } : {}),
    }));
  };
}

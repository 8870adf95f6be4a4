import { type KubeRequest, statusMessage } from "./http.js";
import type { KubeObject } from "./objects.js";

/** PodLister lists the pods of a namespace that match a label selector (`a=b,c in (d)`). */
export type PodLister = (namespace: string, selector: string, signal?: AbortSignal) => Promise<KubeObject[]>;

/** MAX_PODS bounds one listing: enough to find why a rollout is stuck, small enough to read on every failure. */
export const MAX_PODS = 100;

/** createPodLister lists pods through the apiserver, at most MAX_PODS, under the request's own deadline. */
export function createPodLister(request: KubeRequest): PodLister {
  return async (namespace, selector, signal) => {
    const query = new URLSearchParams({ labelSelector: selector, limit: String(MAX_PODS) });
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods?${query}`;
    const res = await request("GET", path, undefined, signal ? { signal } : {});
    if (res.status !== 200) throw new Error(`pods in ${namespace}: ${statusMessage(res)}`);
    const items = (res.body as { items?: unknown }).items;
    return Array.isArray(items) ? (items as KubeObject[]) : [];
  };
}

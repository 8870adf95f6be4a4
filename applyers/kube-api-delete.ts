import { type Discovery, type KubeRequest, objectPath, statusMessage } from "../kube/http.js";
import { describeRef } from "../kube/objects.js";
import { ApplyerUnavailableError, type DeleteRef, type ObjectDeleteResult } from "./applyer.js";
import { deleteOptions } from "./delete-options.js";

/**
 * kubeApiDeleteOne deletes one object with a `DELETE`, its UID as a precondition when the ref has one. What the
 * server refuses is a `failed` result with its message; an abort or an applyer that became unavailable throws.
 */
export async function kubeApiDeleteOne(
  request: KubeRequest,
  discovery: Discovery,
  { uid, ...ref }: DeleteRef,
  signal: AbortSignal | undefined,
): Promise<ObjectDeleteResult> {
  try {
    signal?.throwIfAborted();
    const resource = await discovery.resource(ref.apiVersion, ref.kind);
    if (!resource)
      return { ...ref, action: "not-found", message: `the server has no ${ref.kind} in ${ref.apiVersion}` };
    const path = objectPath(ref.apiVersion, resource, ref.namespace, ref.name);
    const res = await request("DELETE", path, deleteOptions(uid), signal ? { signal } : {});
    if (res.status === 404) return { ...ref, action: "not-found" };
    if (res.status >= 200 && res.status <= 299) return { ...ref, action: "deleted" };
    // 409 on a DELETE is a failed precondition: the object was re-created since it was read.
    if (res.status === 409 && uid) return { ...ref, action: "conflict", message: statusMessage(res) };
    return { ...ref, action: "failed", message: statusMessage(res) };
  } catch (error: unknown) {
    if (error instanceof ApplyerUnavailableError || signal?.aborted) throw error;
    return { ...ref, action: "failed", message: `${describeRef(ref)}: ${(error as Error).message}` };
  }
}

import { type Discovery, type KubeRequest, objectPath, statusMessage } from "../kube/http.js";
import { type KubeObject, refOf } from "../kube/objects.js";
import { ApplyerUnavailableError, type ObjectApplyResult } from "./applyer.js";
import { applyAction, FIELD_MANAGER } from "./change.js";
import { takenOver } from "./takeover.js";

// Git is the source of truth: fields another manager holds are taken over (and reported), as Flux does; a
// misspelled field is an error, as it is for `kubectl apply --server-side`.
const APPLY_QUERY = `?fieldManager=${FIELD_MANAGER}&force=true&fieldValidation=Strict`;

/**
 * kubeApiApplyOne reads one object and applies it with server-side apply (`PATCH`, `application/apply-patch+yaml`),
 * and compares the two: absent before means created, a difference configured, none unchanged. What the server
 * rejects is a `failed` result with its message; an abort or an applyer that became unavailable throws.
 */
export async function kubeApiApplyOne(
  request: KubeRequest,
  discovery: Discovery,
  object: KubeObject,
  signal?: AbortSignal,
): Promise<ObjectApplyResult> {
  const ref = refOf(object);
  const abortable = signal ? { signal } : {};
  try {
    const resource = await discovery.resource(object.apiVersion, object.kind);
    if (!resource) {
      return {
        ...ref,
        action: "failed",
        message: `the server has no ${object.kind} in ${object.apiVersion}`,
      };
    }
    const body = structuredClone(object);
    if (!resource.namespaced) delete body.metadata.namespace;
    const path = objectPath(object.apiVersion, resource, body.metadata.namespace, body.metadata.name);
    const before = await request("GET", path, undefined, abortable);
    if (before.status !== 200 && before.status !== 404) {
      return { ...ref, action: "failed", message: statusMessage(before) };
    }
    const after = await request("PATCH", path + APPLY_QUERY, body, {
      contentType: "application/apply-patch+yaml",
      ...abortable,
    });
    if (after.status < 200 || after.status > 299)
      return { ...ref, action: "failed", message: statusMessage(after) };
    const live = before.status === 404 ? undefined : (before.body as KubeObject);
    const applied = after.body as KubeObject;
    const fields = takenOver(live, applied, FIELD_MANAGER);
    return {
      ...ref,
      action: applyAction(live, applied, body),
      ...(fields.length > 0 ? { takenOver: fields } : {}),
    };
  } catch (error: unknown) {
    // An aborted sync stops here, whole: what it would still send must not be sent.
    if (error instanceof ApplyerUnavailableError || signal?.aborted) throw error;
    return { ...ref, action: "failed", message: (error as Error).message };
  }
}

import type { Logger } from "pino";
import { type KubeRequest, statusMessage } from "../../../kube/http.js";
import type { PodRef } from "./event-body.js";

/**
 * podRefReader returns the controller's Pod with its UID, without which `kubectl describe pod` does not list its
 * Events. A UID given (POD_UID) is used as it is; otherwise the Pod is read once. RBAC may refuse that (a
 * namespaced install may not read its own Pods): the Events then name the Pod without its UID, said once at info.
 * An unanswered read (a timeout) is tried again with the next Event.
 */
export function podRefReader(
  request: KubeRequest,
  pod: PodRef,
  bounds: { readonly timeoutMs: number; readonly signal: AbortSignal },
  log: Logger,
): () => Promise<PodRef> {
  if (pod.uid) return async () => pod;
  const path = `/api/v1/namespaces/${encodeURIComponent(pod.namespace)}/pods/${encodeURIComponent(pod.name)}`;
  let read: Promise<PodRef> | undefined;
  const readOnce = async (): Promise<PodRef> => {
    const answer = await request("GET", path, undefined, bounds);
    const uid = (answer.body as { metadata?: { uid?: unknown } } | undefined)?.metadata?.uid;
    if (answer.status === 200 && typeof uid === "string") return { ...pod, uid };
    log.info(
      { pod: `${pod.namespace}/${pod.name}`, answer: statusMessage(answer) },
      "Events name the controller's Pod without its UID (reading the Pod was refused and POD_UID is not set): kubectl get events lists them, kubectl describe pod does not",
    );
    return pod;
  };
  return () => {
    read ??= readOnce().catch((error: unknown) => {
      read = undefined;
      log.debug({ err: (error as Error).message }, "reading the controller's Pod for its Events failed");
      return pod;
    });
    return read;
  };
}

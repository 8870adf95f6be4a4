import { type KubeRequest, type KubeResponse, statusMessage } from "../../../kube/http.js";
import { StateStoreError } from "./store.js";

/** STATE_KEY is the ConfigMap data key that holds the state JSON. */
export const STATE_KEY = "state.json";

/**
 * STATE_CONFIGMAP_LABELS mark the ConfigMap as the controller's own. Deliberately not `simple-gitops`: prune selects
 * on that value, and the state must never be a prune candidate.
 */
export const STATE_CONFIGMAP_LABELS: Readonly<Record<string, string>> = {
  "app.kubernetes.io/managed-by": "simple-gitops-controller",
};

/** ConfigMap is a ConfigMap as the apiserver returns it, with what the state store reads of it. */
export interface ConfigMap {
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  data?: Record<string, string>;
}

/** StateConfigMap is the ConfigMap a state store keeps its state in, and the client it reaches it with. */
export interface StateConfigMap {
  readonly namespace: string;
  readonly name: string;
  /** where names the ConfigMap in errors and logs: `ConfigMap <namespace>/<name>`. */
  readonly where: string;
  /** collection and path are the namespace's ConfigMaps and this one, as apiserver paths. */
  readonly collection: string;
  readonly path: string;
  readonly request: KubeRequest;
}

/** stateConfigMap names the ConfigMap `namespace/name`, reached through `request`. */
export function stateConfigMap(namespace: string, name: string, request: KubeRequest): StateConfigMap {
  const collection = `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps`;
  return {
    namespace,
    name,
    where: `ConfigMap ${namespace}/${name}`,
    collection,
    path: `${collection}/${encodeURIComponent(name)}`,
    request,
  };
}

/** sendTo makes one apiserver call about the ConfigMap; a call that does not get an answer is a StateStoreError. */
export async function sendTo(
  cm: StateConfigMap,
  method: string,
  url: string,
  body?: unknown,
): Promise<KubeResponse> {
  try {
    return await cm.request(method, url, body);
  } catch (error: unknown) {
    throw new StateStoreError(`${cm.where}: ${method} failed: ${(error as Error).message}`, { cause: error });
  }
}

/** readConfigMap reads the ConfigMap, or undefined when there is none. */
export async function readConfigMap(cm: StateConfigMap): Promise<ConfigMap | undefined> {
  const response = await sendTo(cm, "GET", cm.path);
  if (response.status === 404) return undefined;
  if (response.status !== 200) {
    throw new StateStoreError(`cannot read ${cm.where}: ${statusMessage(response)}`);
  }
  return response.body as ConfigMap;
}

import { type KubeResponse, statusMessage } from "../../../kube/http.js";
import {
  type ConfigMap,
  readConfigMap,
  STATE_CONFIGMAP_LABELS,
  STATE_KEY,
  type StateConfigMap,
  sendTo,
} from "./configmap-api.js";
import { StateStoreError } from "./store.js";

/**
 * writeConfigMap writes `json` as the state with optimistic concurrency: it updates only the version `last` read or
 * wrote, or creates the ConfigMap when `last` saw none, and returns what is stored now, without its data (the
 * caller holds that already; a store keeps what it returns until its next write). When another writer got there
 * first it throws a StateStoreError, so nothing is overwritten blindly.
 */
export async function writeConfigMap(
  cm: StateConfigMap,
  last: ConfigMap | undefined,
  json: string,
): Promise<ConfigMap> {
  const body = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: cm.name,
      namespace: cm.namespace,
      labels: { ...last?.metadata.labels, ...STATE_CONFIGMAP_LABELS },
      ...(last?.metadata.annotations ? { annotations: last.metadata.annotations } : {}),
      ...(last ? { resourceVersion: last.metadata.resourceVersion } : {}),
    },
    data: { [STATE_KEY]: json },
  };
  const response = last
    ? await sendTo(cm, "PUT", cm.path, body)
    : await sendTo(cm, "POST", cm.collection, body);
  if (response.status === 200 || response.status === 201)
    return { metadata: (response.body as ConfigMap).metadata };
  // 409 is Conflict on update and AlreadyExists on create; 404 on update means it was deleted meanwhile.
  if (response.status === 409 || (last && response.status === 404)) return conflict(cm, last, json, response);
  throw new StateStoreError(`cannot write ${cm.where}: ${statusMessage(response)}`);
}

async function conflict(
  cm: StateConfigMap,
  last: ConfigMap | undefined,
  json: string,
  response: KubeResponse,
): Promise<ConfigMap> {
  const current = await readConfigMap(cm);
  // The same bytes are already stored: our own earlier write whose answer was lost, not a rival's.
  if (current && current.data?.[STATE_KEY] === json) return { metadata: current.metadata };
  const seen = last?.metadata.resourceVersion;
  const now = current ? `it is at resourceVersion ${current.metadata.resourceVersion}` : "it was deleted";
  throw new StateStoreError(
    `${cm.where} was changed by another writer since this controller read it ` +
      `(read ${seen ? `resourceVersion ${seen}` : "no ConfigMap"}, ${now}; apiserver: ${statusMessage(response)}); ` +
      "not overwriting it: load the state again before saving",
  );
}

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

/** CONFLICT_TRIES bounds the writes of one save to one ConfigMap that other writers keep getting ahead of. */
export const CONFLICT_TRIES = 4;

/**
 * Rebase lays a writer's change over the state document another writer stored since (its JSON): it returns the JSON
 * to write instead, or `undefined` when the two changes cannot be merged.
 */
export type Rebase = (stored: string) => string | undefined;

/**
 * writeConfigMap writes `json` as the state with optimistic concurrency: it updates only the version `last` read or
 * wrote, or creates the ConfigMap when `last` saw none, and returns what is stored now, without its data (the
 * caller holds that already; a store keeps what it returns until its next write). When another writer got there
 * first, the ConfigMap is read again and, given a `rebase`, the change laid over what that writer stored is written
 * at the version read, up to CONFLICT_TRIES writes in all (each its own request, with the client's deadline).
 * Without one, when `rebase` cannot merge, or past the tries, it throws a StateStoreError: nothing is overwritten
 * blindly.
 */
export async function writeConfigMap(
  cm: StateConfigMap,
  last: ConfigMap | undefined,
  json: string,
  rebase?: Rebase,
): Promise<ConfigMap> {
  let seen = last;
  let body = json;
  for (let tries = 1; ; tries++) {
    const response = await put(cm, seen, body);
    if (response.status === 200 || response.status === 201)
      return { metadata: (response.body as ConfigMap).metadata };
    // 409 is Conflict on update and AlreadyExists on create; 404 on update means it was deleted meanwhile.
    if (response.status !== 409 && !(seen && response.status === 404)) {
      throw new StateStoreError(`cannot write ${cm.where}: ${statusMessage(response)}`);
    }
    const current = await readConfigMap(cm);
    const stored = current?.data?.[STATE_KEY];
    // The same bytes are already stored: our own earlier write whose answer was lost, not a rival's.
    if (current && stored === body) return { metadata: current.metadata };
    const merged = current && stored !== undefined && tries < CONFLICT_TRIES ? rebase?.(stored) : undefined;
    if (merged === undefined || current === undefined) throw conflict(cm, seen, current, response);
    seen = { metadata: current.metadata };
    body = merged;
  }
}

/** put sends the state: an update of the version `seen`, or a create when it saw none. */
function put(cm: StateConfigMap, seen: ConfigMap | undefined, json: string): Promise<KubeResponse> {
  const body = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: cm.name,
      namespace: cm.namespace,
      labels: { ...seen?.metadata.labels, ...STATE_CONFIGMAP_LABELS },
      ...(seen?.metadata.annotations ? { annotations: seen.metadata.annotations } : {}),
      ...(seen ? { resourceVersion: seen.metadata.resourceVersion } : {}),
    },
    data: { [STATE_KEY]: json },
  };
  return seen ? sendTo(cm, "PUT", cm.path, body) : sendTo(cm, "POST", cm.collection, body);
}

function conflict(
  cm: StateConfigMap,
  seen: ConfigMap | undefined,
  current: ConfigMap | undefined,
  response: KubeResponse,
): StateStoreError {
  const read = seen?.metadata.resourceVersion;
  const now = current ? `it is at resourceVersion ${current.metadata.resourceVersion}` : "it was deleted";
  return new StateStoreError(
    `${cm.where} was changed by another writer since this controller read it ` +
      `(read ${read ? `resourceVersion ${read}` : "no ConfigMap"}, ${now}; apiserver: ${statusMessage(response)}); ` +
      "not overwriting it: load the state again before saving",
  );
}

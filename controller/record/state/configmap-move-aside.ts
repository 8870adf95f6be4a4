import { statusMessage } from "../../../kube/http.js";
import { STATE_CONFIGMAP_LABELS, STATE_KEY, type StateConfigMap, sendTo } from "./configmap-api.js";
import { corruptSuffix } from "./parse-state.js";
import { StateStoreError } from "./store.js";

/**
 * moveAside copies an unreadable state to a ConfigMap of its own, `<name>-corrupt-<time>`, and names it. A copy
 * rather than a second key: the next save replaces the unreadable value anyway, and a second key would eat into the
 * 1 MiB the live state may use.
 */
export async function moveAside(cm: StateConfigMap, text: string, now: number): Promise<string> {
  const copy = `${cm.name}-${corruptSuffix(now)}`;
  const response = await sendTo(cm, "POST", cm.collection, {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: copy, namespace: cm.namespace, labels: { ...STATE_CONFIGMAP_LABELS } },
    data: { [STATE_KEY]: text },
  });
  if (response.status !== 201 && response.status !== 200) {
    throw new StateStoreError(
      `cannot keep the unreadable ${cm.where} (copying it to ${copy}): ${statusMessage(response)}`,
    );
  }
  return `ConfigMap ${cm.namespace}/${copy}`;
}

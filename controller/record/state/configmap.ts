import type { Logger } from "pino";
import type { KubeRequest } from "../../../kube/http.js";
import { lazyKubeRequest } from "../../../kube/kubeconfig.js";
import { type ConfigMap, readConfigMap, STATE_KEY, stateConfigMap } from "./configmap-api.js";
import { moveAside } from "./configmap-move-aside.js";
import { writeConfigMap } from "./configmap-write.js";
import { fitState } from "./fit-state.js";
import { recoverState } from "./parse-state.js";
import { emptyState } from "./state.js";
import type { StateStore } from "./store.js";

export { STATE_CONFIGMAP_LABELS, STATE_KEY } from "./configmap-api.js";

/**
 * CONFIGMAP_MAX_BYTES is the apiserver's limit on a ConfigMap's data, keys and values together
 * (https://kubernetes.io/docs/concepts/configuration/configmap/#motivation).
 */
export const CONFIGMAP_MAX_BYTES = 1024 * 1024;

/** ConfigMapStateStoreOptions configure {@link createConfigMapStateStore}. */
export interface ConfigMapStateStoreOptions {
  namespace: string;
  /** name of the ConfigMap; `simple-gitops-state` unless given. */
  name?: string;
  /** request is the apiserver client; by default one that loads the kubeconfig on first use. */
  request?: KubeRequest;
  /** maxBytes bounds the state JSON; the ConfigMap limit minus the key unless given (tests lower it). */
  maxBytes?: number;
  log: Logger;
  /** now names the copy an unreadable state is moved to; Date.now unless given. */
  now?: () => number;
}

/**
 * createConfigMapStateStore keeps the state as JSON in the `state.json` key of a ConfigMap, for controllers that
 * have no persistent disk. Writes use optimistic concurrency: `save` updates only the version this store last read
 * or wrote (or creates the ConfigMap when it last saw none). When another writer got there first, `save` throws a
 * StateStoreError and keeps refusing until `load` has read the winner's state, so nothing is overwritten blindly.
 * The oldest audit events are dropped, with a warning, when the JSON would not fit in a ConfigMap.
 *
 * A state that cannot be read (empty, truncated, garbage) is copied to a ConfigMap of its own,
 * `<name>-corrupt-<time>`, and the store starts empty. A copy rather than a second key: the next save replaces the
 * unreadable value anyway, and a second key would eat into the 1 MiB the live state may use.
 */
export function createConfigMapStateStore(options: ConfigMapStateStoreOptions): StateStore {
  const { namespace, name = "simple-gitops-state", log } = options;
  const maxBytes = options.maxBytes ?? CONFIGMAP_MAX_BYTES - STATE_KEY.length;
  const cm = stateConfigMap(namespace, name, options.request ?? lazyKubeRequest());
  // What this store last read or wrote; undefined means it saw no ConfigMap (or has not looked yet).
  let last: ConfigMap | undefined;

  return {
    name: `configmap:${namespace}/${name}`,

    async load() {
      last = await readConfigMap(cm);
      const text = last?.data?.[STATE_KEY];
      if (text === undefined) return emptyState();
      return recoverState(text, cm.where, log, () => moveAside(cm, text, (options.now ?? Date.now)()));
    },

    async save(state) {
      const { json, dropped, historyKept } = fitState(state, maxBytes, cm.where);
      if (dropped > 0) {
        log.warn(
          { store: cm.where, dropped, kept: state.events.length - dropped, bytes: Buffer.byteLength(json) },
          "state too big for a ConfigMap: dropped the oldest audit events",
        );
      }
      if (historyKept !== undefined) {
        log.warn(
          { store: cm.where, historyKept, bytes: Buffer.byteLength(json) },
          `state too big for a ConfigMap even without audit events: kept the newest ${historyKept} landed ` +
            "commits of each service's history; older ones cannot be rolled back to",
        );
      }
      last = await writeConfigMap(cm, last, json);
    },
  };
}

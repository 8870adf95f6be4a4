import type { Logger } from "pino";
import { type KubeRequest, type KubeResponse, statusMessage } from "../../../kube/http.js";
import { lazyKubeRequest } from "../../../kube/kubeconfig.js";
import { corruptSuffix, recoverState } from "./parse-state.js";
import { type ControllerState, emptyState } from "./state.js";
import { type StateStore, StateStoreError } from "./store.js";

/** STATE_KEY is the ConfigMap data key that holds the state JSON. */
export const STATE_KEY = "state.json";

/**
 * CONFIGMAP_MAX_BYTES is the apiserver's limit on a ConfigMap's data, keys and values together
 * (https://kubernetes.io/docs/concepts/configuration/configmap/#motivation).
 */
export const CONFIGMAP_MAX_BYTES = 1024 * 1024;

/**
 * STATE_CONFIGMAP_LABELS mark the ConfigMap as the controller's own. Deliberately not `simple-gitops`: prune selects
 * on that value, and the state must never be a prune candidate.
 */
export const STATE_CONFIGMAP_LABELS: Readonly<Record<string, string>> = {
  "app.kubernetes.io/managed-by": "simple-gitops-controller",
};

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

interface ConfigMap {
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  data?: Record<string, string>;
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
  const collection = `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps`;
  const path = `${collection}/${encodeURIComponent(name)}`;
  const where = `ConfigMap ${namespace}/${name}`;
  const request = options.request ?? lazyKubeRequest();
  // What this store last read or wrote; undefined means it saw no ConfigMap (or has not looked yet).
  let last: ConfigMap | undefined;

  async function send(method: string, url: string, body?: unknown): Promise<KubeResponse> {
    try {
      return await request(method, url, body);
    } catch (error: unknown) {
      throw new StateStoreError(`${where}: ${method} failed: ${(error as Error).message}`, { cause: error });
    }
  }

  async function read(): Promise<ConfigMap | undefined> {
    const response = await send("GET", path);
    if (response.status === 404) return undefined;
    if (response.status !== 200) {
      throw new StateStoreError(`cannot read ${where}: ${statusMessage(response)}`);
    }
    return response.body as ConfigMap;
  }

  async function moveAside(text: string): Promise<string> {
    const copy = `${name}-${corruptSuffix((options.now ?? Date.now)())}`;
    const response = await send("POST", collection, {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: copy, namespace, labels: { ...STATE_CONFIGMAP_LABELS } },
      data: { [STATE_KEY]: text },
    });
    if (response.status !== 201 && response.status !== 200) {
      throw new StateStoreError(
        `cannot keep the unreadable ${where} (copying it to ${copy}): ${statusMessage(response)}`,
      );
    }
    return `ConfigMap ${namespace}/${copy}`;
  }

  async function conflict(json: string, response: KubeResponse): Promise<void> {
    const current = await read();
    // The same bytes are already stored: our own earlier write whose answer was lost, not a rival's.
    if (current?.data?.[STATE_KEY] === json) {
      last = current;
      return;
    }
    const seen = last?.metadata.resourceVersion;
    const now = current ? `it is at resourceVersion ${current.metadata.resourceVersion}` : "it was deleted";
    throw new StateStoreError(
      `${where} was changed by another writer since this controller read it ` +
        `(read ${seen ? `resourceVersion ${seen}` : "no ConfigMap"}, ${now}; apiserver: ${statusMessage(response)}); ` +
        "not overwriting it: load the state again before saving",
    );
  }

  return {
    name: `configmap:${namespace}/${name}`,

    async load() {
      const cm = await read();
      last = cm;
      const text = cm?.data?.[STATE_KEY];
      if (text === undefined) return emptyState();
      return recoverState(text, where, log, () => moveAside(text));
    },

    async save(state) {
      const { json, dropped } = fitState(state, maxBytes, where);
      if (dropped > 0) {
        log.warn(
          { store: where, dropped, kept: state.events.length - dropped, bytes: Buffer.byteLength(json) },
          "state too big for a ConfigMap: dropped the oldest audit events",
        );
      }
      const body = {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: {
          name,
          namespace,
          labels: { ...last?.metadata.labels, ...STATE_CONFIGMAP_LABELS },
          ...(last?.metadata.annotations ? { annotations: last.metadata.annotations } : {}),
          ...(last ? { resourceVersion: last.metadata.resourceVersion } : {}),
        },
        data: { [STATE_KEY]: json },
      };
      const response = last ? await send("PUT", path, body) : await send("POST", collection, body);
      if (response.status === 200 || response.status === 201) {
        last = response.body as ConfigMap;
        return;
      }
      // 409 is Conflict on update and AlreadyExists on create; 404 on update means it was deleted meanwhile.
      if (response.status === 409 || (last && response.status === 404)) return conflict(json, response);
      throw new StateStoreError(`cannot write ${where}: ${statusMessage(response)}`);
    },
  };
}

/**
 * fitState serializes the state in at most `maxBytes` UTF-8 bytes, dropping the fewest oldest audit events that
 * makes it fit. It throws a StateStoreError when even no events at all would not fit.
 */
export function fitState(
  state: ControllerState,
  maxBytes: number,
  where = "state",
): { json: string; dropped: number } {
  const serialize = (drop: number) =>
    JSON.stringify(drop === 0 ? state : { ...state, events: state.events.slice(drop) });
  const fits = (json: string) => Buffer.byteLength(json, "utf8") <= maxBytes;
  const whole = serialize(0);
  if (fits(whole)) return { json: whole, dropped: 0 };
  const bare = serialize(state.events.length);
  if (!fits(bare)) {
    throw new StateStoreError(
      `${where}: the state of ${Object.keys(state.services).length} services is ${Buffer.byteLength(bare)} bytes ` +
        `without any audit event, over the ${maxBytes}-byte limit; use the file state store`,
    );
  }
  // Fewer events never make the JSON longer, so the smallest drop count that fits can be bisected.
  let low = 1;
  let high = state.events.length;
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    if (fits(serialize(mid))) high = mid;
    else low = mid + 1;
  }
  return { json: serialize(low), dropped: low };
}

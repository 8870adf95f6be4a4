import type { Logger } from "pino";
import { mapLimit } from "../../../common/map-limit.js";
import type { KubeRequest } from "../../../kube/http.js";
import { lazyKubeRequest } from "../../../kube/kubeconfig.js";
import { STATE_SHARDS } from "../../desired/render/own-names.js";
import { changedShards, createRecordDigests, type ShardContent, shardContent } from "./changed-shards.js";
import { type ConfigMap, readConfigMap, STATE_KEY, stateConfigMap } from "./configmap-api.js";
import { fitConfigMap } from "./configmap-fit.js";
import { moveAside } from "./configmap-move-aside.js";
import { changedByBoth, rebaseWith } from "./configmap-rebase.js";
import { readShards, SHARD_CALLS, type ShardSlot, shardSlots, writeShard } from "./configmap-shards.js";
import { writeConfigMap } from "./configmap-write.js";
import { layoutFor } from "./layout.js";
import { mergeIndex } from "./merge-index.js";
import { recoverState } from "./parse-state.js";
import { type IndexState, joinState, splitState } from "./split-state.js";
import { type ControllerState, emptyState } from "./state.js";
import { type StateStore, StateStoreError } from "./store.js";

export { STATE_CONFIGMAP_LABELS, STATE_KEY } from "./configmap-api.js";

/**
 * CONFIGMAP_MAX_BYTES is the apiserver's limit on a ConfigMap's data, keys and values together
 * (https://kubernetes.io/docs/concepts/configuration/configmap/#motivation).
 */
export const CONFIGMAP_MAX_BYTES = 1024 * 1024;

/** ConfigMapStateStoreOptions configure {@link createConfigMapStateStore}. */
export interface ConfigMapStateStoreOptions {
  namespace: string;
  /** name of the ConfigMap; `simple-gitops-state` unless given. Its shards are `<name>-0` to `<name>-63`. */
  name?: string;
  /** request is the apiserver client; by default one that loads the kubeconfig on first use. */
  request?: KubeRequest;
  /** maxBytes bounds each ConfigMap's JSON; the ConfigMap limit minus the key unless given (tests lower it). */
  maxBytes?: number;
  log: Logger;
  /** now names the copy an unreadable state is moved to; Date.now unless given. */
  now?: () => number;
}

/**
 * createConfigMapStateStore keeps the state as JSON in the `state.json` key of a ConfigMap, for controllers that
 * have no persistent disk. While the services' records take at most half of one ConfigMap, that one holds it all.
 * Past that the state is split for good: the ConfigMap keeps the audit trail and repositories, and says how many
 * shards (`<name>-<n>`, STATE_SHARDS of them) hold the services, each in the shard its name hashes to; a save writes
 * only the shards whose services changed, and the index last. A state saved before the split is read as it is.
 *
 * Writes use optimistic concurrency: each write updates only the version this store last read or wrote (or creates
 * the ConfigMap when it last saw none). Members of a fleet all write the index at each flush, and a shard holds
 * services of several members, so when another writer got there first (409 Conflict) that ConfigMap is read again
 * and what this store's caller changed since it last read or wrote it is laid over what the other stored, then
 * written again, a few times at most (see merge-index.ts and merge-services.ts for the rule of each field): the
 * other's records stay, and so do later writes of this store until its next `load`. Only when both changed the
 * same record, or the layout, or other writers keep getting there first, or the last `load` failed part way, does
 * `save` throw a StateStoreError, and keep refusing until `load` has read the others' state: nothing is overwritten
 * blindly. Every shard is read at `load`, split or not, so that holds for them too; until this store splits the
 * state, what its caller had of a shard's services is what it last read or wrote of them in the ConfigMap. The oldest
 * audit events are dropped, with a warning, when they would not fit in a ConfigMap; then the oldest history entries.
 *
 * A document that cannot be read (empty, truncated, garbage) is copied to a ConfigMap of its own,
 * `<name>-corrupt-<time>`, and starts empty. A copy rather than a second key: the next save replaces the
 * unreadable value anyway, and a second key would eat into the 1 MiB the live state may use.
 */
export function createConfigMapStateStore(options: ConfigMapStateStoreOptions): StateStore {
  const { namespace, name = "simple-gitops-state", log } = options;
  const maxBytes = options.maxBytes ?? CONFIGMAP_MAX_BYTES - STATE_KEY.length;
  const request = options.request ?? lazyKubeRequest();
  const now = options.now ?? Date.now;
  const cm = stateConfigMap(namespace, name, request);
  const digestOf = createRecordDigests();
  // What this store last read or wrote of the index (undefined: it saw none), the index its caller had then (what
  // the caller's next change is taken against) and its JSON, and what is stored when that write merged another
  // writer's index (undefined: the caller's is).
  let last: ConfigMap | undefined;
  let given: IndexState = emptyState();
  let givenJson: string | undefined;
  let stored: IndexState | undefined;
  // The stored layout: how many shards hold the services, or undefined while the index holds them.
  let layout: number | undefined;
  let slots = shardSlots(namespace, name, STATE_SHARDS, request);
  // True from the start of a load until it read everything: one that failed part way has taken the index and some
  // shards as read again while its caller still holds the state of the load before, so a save would count that
  // state's older records of other members' services as this caller's changes and write them over the newer ones.
  let torn = false;

  async function writeIndex(state: IndexState): Promise<void> {
    const json = fitConfigMap(state, maxBytes, cm.where, log);
    if (json === givenJson) return;
    const base = given;
    const merge = (onto: IndexState) => mergeIndex(onto, base, state, digestOf);
    const document = stored === undefined ? state : merge(stored);
    if (document === undefined) throw changedByBoth(cm.where);
    const serialize = (value: IndexState) =>
      value === state ? json : fitConfigMap(value, maxBytes, cm.where, log);
    const merged = { value: document };
    last = await writeConfigMap(
      cm,
      last,
      serialize(document),
      rebaseWith(merge, serialize, merged, log, cm.where),
    );
    stored = merged.value === state ? undefined : merged.value;
    given = state;
    givenJson = json;
  }

  async function saveSplit(state: ControllerState, count: number): Promise<void> {
    // A split written from this caller's services would leave out those another writer merged into the index.
    if (layout === undefined && stored !== undefined) throw changedByBoth(cm.where);
    const split = splitState(state, count);
    // Until now this caller read and wrote every service through the index, so a shard's change is taken against
    // the index's services of that shard. At load the shard gave none (absent, or a leftover left unread): against
    // that, every record in a shard another member split into since would count as this caller's, its stale copy of
    // the other's services overwriting theirs. A leftover cannot come back this way: a write merges only after a 409,
    // when someone wrote the shard since this store read it.
    if (layout === undefined) {
      const bases = splitState(given, count).shards;
      slots.slice(0, count).forEach((slot, index) => {
        slot.given = bases[index];
      });
    }
    const contents = split.shards.map((services) => shardContent(services, digestOf));
    const changed = changedShards(
      slots.slice(0, count).map((slot) => slot.content),
      contents,
    );
    const deps = { maxBytes, log, digestOf };
    await mapLimit(changed, SHARD_CALLS, (index) =>
      writeShard(slots[index] as ShardSlot, split.shards[index] ?? {}, contents[index] as ShardContent, deps),
    );
    // The index last: until it says the state is split, a reader takes the services from the index.
    await writeIndex(split.index);
    layout = count;
  }

  return {
    name: `configmap:${namespace}/${name}`,

    async load() {
      torn = true;
      const read = await readConfigMap(cm);
      last = read ? { metadata: read.metadata } : undefined;
      const text = read?.data?.[STATE_KEY];
      const index: IndexState =
        text === undefined
          ? emptyState()
          : await recoverState(text, cm.where, log, () => moveAside(cm, text, now()));
      given = index;
      givenJson = text;
      stored = undefined;
      layout = layoutOf(index, cm.where);
      // The same slots from load to load, so a shard that did not change is not parsed again (see readShards).
      const count = Math.max(STATE_SHARDS, layout ?? 0);
      if (slots.length !== count) slots = shardSlots(namespace, name, count, request);
      const shards = await readShards(slots, layout !== undefined, { log, now, digestOf });
      torn = false;
      if (layout === undefined) return withoutLayout(index);
      const { state, strays } = joinState(index, shards.slice(0, layout));
      // A stray is in its shard's content, which its next write therefore leaves it out of.
      for (const stray of strays) {
        const slot = slots[stray.foundIn] as ShardSlot;
        log.error(
          { store: slot.cm.where, entry: `service "${stray.service}"`, belongsIn: stray.belongsIn },
          `state: left out service "${stray.service}" found in shard ${stray.foundIn}, where its name does not ` +
            `lead (shard ${stray.belongsIn})`,
        );
      }
      return state;
    },

    async save(state) {
      if (torn) {
        throw new StateStoreError(
          `${cm.where}: the last load of the state did not finish, so what this controller holds is older than ` +
            "part of what it read; not saving over it: load the state again before saving",
        );
      }
      const servicesBytes = Object.entries(state.services).reduce(
        (sum, [service, record]) => sum + Buffer.byteLength(service) + digestOf(record).bytes,
        0,
      );
      const count = layoutFor({ stored: layout, servicesBytes, maxBytes, shards: STATE_SHARDS });
      if (count === undefined) await writeIndex(state);
      else await saveSplit(state, count);
    },
  };
}

const MAX_LAYOUT = 1024;

/** layoutOf reads how many shards an index says hold the services; a count no controller writes is refused. */
function layoutOf(index: IndexState, where: string): number | undefined {
  const { shards } = index;
  if (shards === undefined) return undefined;
  if (Number.isInteger(shards) && shards >= 1 && shards <= MAX_LAYOUT) return shards;
  throw new StateStoreError(
    `${where}: shards: expected a whole number from 1 to ${MAX_LAYOUT}, got ${JSON.stringify(shards)}; ` +
      "set it to the number of shard ConfigMaps that hold the services",
  );
}

function withoutLayout({ shards: _shards, ...state }: IndexState): ControllerState {
  return state;
}

import type { Logger } from "pino";
import { mapLimit } from "../../../common/map-limit.js";
import type { KubeRequest } from "../../../kube/http.js";
import { stateShardName } from "../../desired/render/own-names.js";
import { type RecordDigest, type ShardContent, shardContent } from "./changed-shards.js";
import {
  type ConfigMap,
  readConfigMap,
  STATE_KEY,
  type StateConfigMap,
  stateConfigMap,
} from "./configmap-api.js";
import { fitConfigMap } from "./configmap-fit.js";
import { moveAside } from "./configmap-move-aside.js";
import { changedByBoth, rebaseWith } from "./configmap-rebase.js";
import { writeConfigMap } from "./configmap-write.js";
import { mergeServices } from "./merge-services.js";
import { recoverDocument } from "./parse-state.js";
import { shardDocument } from "./split-state.js";
import type { ControllerState, ServiceState } from "./state.js";

/** SHARD_CALLS bounds the apiserver calls about shards in flight at once, reading at start or writing. */
export const SHARD_CALLS = 8;

/**
 * ShardSlot is one shard ConfigMap: where it is, what this store last read or wrote of it (`undefined`: it saw
 * none; its metadata only, the state it held is in `parsed`), the services its caller had for it then (`given`) and
 * those in brief (`content`) (`undefined`: not known, so the next split save writes it and cannot merge it), what
 * is stored when a write merged another writer's records into the caller's (`stored`), and the services it held
 * when last read whole, at that resourceVersion.
 */
export interface ShardSlot {
  readonly cm: StateConfigMap;
  seen: ConfigMap | undefined;
  content: ShardContent | undefined;
  given?: Services;
  stored?: Services;
  parsed?: ParsedShard;
}

type Services = Readonly<Record<string, ServiceState>>;

/** ParsedShard is a shard's state as read at one resourceVersion: the same version holds the same records. */
export interface ParsedShard {
  readonly version: string;
  readonly state: ControllerState;
}

/** shardSlots names the first `count` shards of the state ConfigMap `base`. */
export function shardSlots(
  namespace: string,
  base: string,
  count: number,
  request: KubeRequest,
): ShardSlot[] {
  return Array.from({ length: count }, (_, index) => ({
    cm: stateConfigMap(namespace, stateShardName(base, index), request),
    seen: undefined,
    content: undefined,
  }));
}

/** ShardReadDeps are what reading shards needs: the log, the clock naming a corrupt copy, and the digests. */
export interface ShardReadDeps {
  readonly log: Logger;
  readonly now: () => number;
  readonly digestOf: (record: ServiceState) => RecordDigest;
}

/**
 * readShards reads every shard ConfigMap, so a later write updates only the version read here, whatever the
 * layout: a shard left from a split that never finished is overwritten, never one another writer wrote since. Only
 * when the state is `split` are the shards' services read (an unreadable shard is moved aside and holds none). A
 * shard still at the resourceVersion it was last parsed at gives the records parsed then: members of a fleet read
 * the state before every run, and most shards did not change since (the same record objects also keep their
 * digests, so the next save serializes only what changed).
 */
export async function readShards(
  slots: readonly ShardSlot[],
  split: boolean,
  deps: ShardReadDeps,
): Promise<(ControllerState | undefined)[]> {
  return mapLimit(slots, SHARD_CALLS, async (slot) => {
    const read = await readConfigMap(slot.cm);
    // Only the metadata is kept: a write needs the version, and the records are held parsed.
    slot.seen = read ? { metadata: read.metadata } : undefined;
    slot.stored = undefined;
    const text = read?.data?.[STATE_KEY];
    slot.content = read ? undefined : new Map();
    slot.given = read ? undefined : {};
    if (!split || text === undefined) return undefined;
    const version = read?.metadata.resourceVersion;
    const state =
      version !== undefined && slot.parsed?.version === version
        ? slot.parsed.state
        : await parseShard(slot, text, version, deps);
    if (slot.parsed?.state === state) {
      slot.content = shardContent(state.services, deps.digestOf);
      slot.given = state.services;
    }
    return state;
  });
}

/** ShardWriteDeps are what writing a shard needs: its size limit, the log, and the digests. */
export interface ShardWriteDeps {
  readonly maxBytes: number;
  readonly log: Logger;
  readonly digestOf: (record: ServiceState) => RecordDigest;
}

/**
 * writeShard writes a shard's `services`, `content` in brief. When another writer wrote the shard since this store
 * read it, this caller's changes since then are laid over that writer's records (see mergeServices) and written
 * again; and once a write merged, the next ones lay the caller's changes over what is stored, not over what the
 * caller still has of the other's services, so they do not put back its older records.
 */
export async function writeShard(
  slot: ShardSlot,
  services: Services,
  content: ShardContent,
  deps: ShardWriteDeps,
): Promise<void> {
  const { given, stored } = slot;
  const merge = (onto: Services) =>
    given === undefined ? undefined : mergeServices(onto, given, services, deps.digestOf);
  const document = stored === undefined ? services : merge(stored);
  if (document === undefined) throw changedByBoth(slot.cm.where);
  const serialize = (value: Services) =>
    fitConfigMap(shardDocument(value), deps.maxBytes, slot.cm.where, deps.log);
  const merged = { value: document };
  const rebase = rebaseWith((state) => merge(state.services), serialize, merged, deps.log, slot.cm.where);
  slot.seen = await writeConfigMap(slot.cm, slot.seen, serialize(document), rebase);
  slot.stored = merged.value === services ? undefined : merged.value;
  slot.given = services;
  slot.content = content;
}

/** parseShard reads a shard's document; one read whole is kept, by its version, for the next read to reuse. */
async function parseShard(
  slot: ShardSlot,
  text: string,
  version: string | undefined,
  deps: ShardReadDeps,
): Promise<ControllerState> {
  const { state, complete } = await recoverDocument(text, slot.cm.where, deps.log, () =>
    moveAside(slot.cm, text, deps.now()),
  );
  slot.parsed = complete && version !== undefined ? { version, state } : undefined;
  return state;
}

import { shardOf } from "./shard-of.js";
import { type ControllerState, emptyState, type ServiceState } from "./state.js";

/**
 * IndexState is the state ConfigMap's document once the state is split: everything but the services, and how many
 * shards hold those. A document without `shards` holds its services itself (the layout of a small state, and of
 * every state before the split).
 */
export type IndexState = ControllerState & { readonly shards?: number };

/** SplitState is a state cut for `shards` ConfigMaps: the index, and the services of each shard, in shard order. */
export interface SplitState {
  readonly index: IndexState;
  readonly shards: readonly Readonly<Record<string, ServiceState>>[];
}

/** splitState cuts a state into its index and `shards` groups of services, each service in the shard of its name. */
export function splitState(state: ControllerState, shards: number): SplitState {
  const groups: Record<string, ServiceState>[] = Array.from({ length: shards }, () => ({}));
  for (const [name, service] of Object.entries(state.services)) {
    (groups[shardOf(name, shards)] as Record<string, ServiceState>)[name] = service;
  }
  return { index: { ...state, services: {}, shards }, shards: groups };
}

/** shardDocument is one shard as stored: a state of its own holding only its services. */
export function shardDocument(services: Readonly<Record<string, ServiceState>>): ControllerState {
  return { ...emptyState(), services };
}

/** Stray is a service found in a shard its name does not lead to: left out, as a record nobody would update. */
export interface Stray {
  readonly service: string;
  readonly foundIn: number;
  readonly belongsIn: number;
}

/**
 * joinState puts a split state back together: the index without its `shards`, and every service of each shard that
 * is where its name leads (a shard that could not be read is `undefined` and adds nothing).
 */
export function joinState(
  index: IndexState,
  shards: readonly (ControllerState | undefined)[],
): { readonly state: ControllerState; readonly strays: readonly Stray[] } {
  const { shards: count = shards.length, ...rest } = index;
  const services: Record<string, ServiceState> = { ...rest.services };
  const strays: Stray[] = [];
  shards.forEach((shard, foundIn) => {
    for (const [name, service] of Object.entries(shard?.services ?? {})) {
      const belongsIn = shardOf(name, count);
      if (belongsIn === foundIn) services[name] = service;
      else strays.push({ service: name, foundIn, belongsIn });
    }
  });
  return { state: { ...rest, services }, strays };
}

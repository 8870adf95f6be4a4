import { createHash } from "node:crypto";

/**
 * shardOf is the shard of `service` among `shards`, from its name alone: the same on every controller, version and
 * restart, so any of them finds a service's record without an index of where each one went.
 */
export function shardOf(service: string, shards: number): number {
  return createHash("sha256").update(service).digest().readUInt32BE(0) % shards;
}

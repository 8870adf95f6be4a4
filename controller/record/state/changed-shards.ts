import { createHash } from "node:crypto";
import type { ServiceState } from "./state.js";

/** ShardContent is what one shard holds, in brief: the digest of each service's record, by service. */
export type ShardContent = ReadonlyMap<string, string>;

/** RecordDigest is a record's JSON in brief: its digest, and its size in bytes. */
export interface RecordDigest {
  readonly digest: string;
  readonly bytes: number;
}

/**
 * createRecordDigests digests service records, each object once. Records are immutable values (a sync replaces its
 * service's record and keeps every other), so after the first save only the records that changed are serialized.
 */
export function createRecordDigests(): (record: ServiceState) => RecordDigest {
  const known = new WeakMap<ServiceState, RecordDigest>();
  return (record) => {
    let digest = known.get(record);
    if (!digest) {
      const json = JSON.stringify(record);
      digest = {
        digest: createHash("sha256").update(json).digest("base64"),
        bytes: Buffer.byteLength(json),
      };
      known.set(record, digest);
    }
    return digest;
  };
}

/** shardContent is what a group of services would be stored as, in brief. */
export function shardContent(
  services: Readonly<Record<string, ServiceState>>,
  digestOf: (record: ServiceState) => RecordDigest,
): ShardContent {
  return new Map(Object.entries(services).map(([name, record]) => [name, digestOf(record).digest]));
}

/**
 * changedShards lists the shards to write: those whose content differs from what is stored. `undefined` is a shard
 * whose stored content is not known (never read, or read with entries left out), so it is written.
 */
export function changedShards(
  stored: readonly (ShardContent | undefined)[],
  next: readonly ShardContent[],
): number[] {
  return next.flatMap((content, index) => (same(stored[index], content) ? [] : [index]));
}

function same(stored: ShardContent | undefined, next: ShardContent): boolean {
  if (stored === undefined || stored.size !== next.size) return false;
  for (const [name, digest] of next) if (stored.get(name) !== digest) return false;
  return true;
}

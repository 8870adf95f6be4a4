import type { BlobReader } from "./github-blobs.js";
import type { ClientFor } from "./github-clients.js";
import type { Head } from "./github-head.js";
import type { ListingCache } from "./github-listing.js";
import type { SourceLogger } from "./log.js";

/**
 * GitHubSourceState is what a GitHub source keeps between polls: only facts about GitHub, the last head per branch
 * (for If-None-Match) and content-addressed listings and blobs. What was applied is the caller's `known`, so
 * nothing here can make a failed apply look done.
 */
export interface GitHubSourceState {
  readonly log: SourceLogger;
  /** Wall-clock time (epoch ms), for when a rate limit ends. */
  readonly now: () => number;
  readonly maxFileBytes: number;
  readonly clientFor: ClientFor;
  /** The last head read per API root and `owner/repo@branch`. */
  readonly heads: Map<string, Head>;
  readonly listings: ListingCache;
  readonly blobs: BlobReader;
}

import { pino } from "pino";
import { createBlobReader, TARBALL_MIN_BLOBS } from "./github-blobs.js";
import {
  createGitHubClient,
  defaultRetryPolicy,
  type GitHubClient,
  type GitHubClientOptions,
  type RetryPolicy,
} from "./github-client.js";
import { createClientPool } from "./github-clients.js";
import { createListingCache } from "./github-listing.js";
import { pollRepository } from "./github-poll.js";
import { readService } from "./github-read.js";
import { readAtCommit } from "./github-read-commit.js";
import type { GitHubSourceState } from "./github-state.js";
import type { Deadline } from "./github-transport.js";
import type { SourceLogger } from "./log.js";
import { MAX_FILE_BYTES } from "./order.js";
import type { Source } from "./source.js";

/** GitHubSourceOptions are the collaborators and limits of a GitHub source; every one has a production default. */
export interface GitHubSourceOptions {
  readonly fetch?: typeof globalThis.fetch;
  readonly log?: SourceLogger;
  readonly retry?: RetryPolicy;
  /** A file larger than this fails its service, without being read. Default {@link MAX_FILE_BYTES}. */
  readonly maxFileBytes?: number;
  /** Memory the blob cache may hold, in bytes. Default 64 MiB. */
  readonly blobCacheBytes?: number;
  /** Blob reads in flight at once per poll. Default 8. */
  readonly concurrency?: number;
  /** More uncached blobs than this are read from one tarball of the commit. Default {@link TARBALL_MIN_BLOBS}. */
  readonly tarballMinBlobs?: number;
  /** A tarball unpacking to more than this fails the poll's services; larger repositories use blobs. Default 512 MiB. */
  readonly maxTarballBytes?: number;
  /** How long one request (body included) may take. Default 30 s. */
  readonly requestTimeoutMs?: number;
  /** Makes each request's timeout signal; tests pass one driven by a manual clock. */
  readonly deadline?: Deadline;
  /** Wall-clock time (epoch ms): when a rate limit ends, and when an installation token expires. Default Date.now. */
  readonly now?: () => number;
  readonly createClient?: (options: GitHubClientOptions) => GitHubClient;
}

/**
 * createGitHubSource polls GitHub for each service directory's whole set of manifests, spending one conditional
 * request per repository and branch when nothing changed (answered 304, which GitHub does not charge), and when the
 * head moved one recursive tree plus one blob per file not already in the blob cache (keyed by SHA, so an unchanged
 * file costs nothing).
 *
 * The head is read with `GET /repos/{o}/{r}/branches/{branch}` rather than `/commits/{ref}`: both give the commit
 * and its tree SHA and honour If-None-Match, but `/commits/{ref}` also computes the commit's diff (up to 300 files
 * of patches) on every changed poll, and its 404 cannot tell a missing branch ("Branch not found") from a missing
 * repository ("Not Found").
 */
export function createGitHubSource(options: GitHubSourceOptions = {}): Source {
  const log = options.log ?? pino({ name: "github-source" });
  const maxFileBytes = options.maxFileBytes ?? MAX_FILE_BYTES;
  const state: GitHubSourceState = {
    log,
    now: options.now ?? Date.now,
    maxFileBytes,
    clientFor: createClientPool({
      createClient: options.createClient ?? createGitHubClient,
      log,
      retry: options.retry ?? defaultRetryPolicy,
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
      ...(options.deadline === undefined ? {} : { deadline: options.deadline }),
      ...(options.now === undefined ? {} : { now: options.now }),
    }),
    heads: new Map(),
    listings: createListingCache(),
    blobs: createBlobReader({
      log,
      maxFileBytes,
      cacheBytes: options.blobCacheBytes ?? 64 * 1024 * 1024,
      concurrency: options.concurrency ?? 8,
      tarballMinBlobs: options.tarballMinBlobs ?? TARBALL_MIN_BLOBS,
      ...(options.maxTarballBytes === undefined ? {} : { maxTarballBytes: options.maxTarballBytes }),
    }),
  };
  return {
    name: "github",
    poll: (request) => pollRepository(state, request),
    read: (request) =>
      request.commit === undefined
        ? readService(state, request)
        : readAtCommit(state, { ...request, commit: request.commit }),
  };
}

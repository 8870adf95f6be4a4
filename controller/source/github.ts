import { createHash } from "node:crypto";
import { pino } from "pino";
import { LruCache } from "../../common/lru.js";
import { normalizeDir } from "../../common/repo-path.js";
import { repositoryLabel, type SourceError } from "./errors.js";
import { createBlobReader, TARBALL_MIN_BLOBS } from "./github-blobs.js";
import {
  createGitHubClient,
  defaultRetryPolicy,
  type GitHubClient,
  type GitHubClientOptions,
  type RetryPolicy,
} from "./github-client.js";
import { httpStatus, type RequestContext, toSourceError } from "./github-errors.js";
import { planPoll } from "./github-kustomize.js";
import type { Deadline } from "./github-transport.js";
import { type GitTree, listServiceDirs, type RepoListing } from "./github-tree.js";
import type { SourceLogger } from "./log.js";
import { comparePaths } from "./order.js";
import { completeService, type ServicePlan } from "./plan.js";
import type {
  PollRequest,
  PollResult,
  ReadRequest,
  ServiceFailure,
  ServiceResult,
  Source,
  SourceRepository,
} from "./source.js";

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
 * MAX_FILE_BYTES is the largest manifest file read, 10 MiB: ten times the largest file of a widely used monitoring
 * stack (a 1 MB dashboards list), and what a 256 MiB controller can decode and parse with room to spare. GitHub's
 * blobs API serves files up to 100 MB.
 */
export const MAX_FILE_BYTES = 10 * 1024 * 1024;

interface Head {
  readonly etag?: string;
  readonly commit: string;
  readonly tree: string;
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
  const createClient = options.createClient ?? createGitHubClient;
  const now = options.now ?? Date.now;
  const clients = new Map<string, GitHubClient>();
  // Only facts about GitHub are kept: the last head per branch (for If-None-Match) and content-addressed listings
  // and blobs. What was applied is the caller's `known`, so nothing here can make a failed apply look done.
  const heads = new Map<string, Head>();
  // Weighed by tree entries: a whole tree is kept for tarball sizing and kustomize bases, and may be 100 000 long.
  const listings = new LruCache<string, RepoListing>({
    maxWeight: 250_000,
    weigh: (listing) => 1 + (listing.tree?.length ?? 0),
  });
  const blobs = createBlobReader({
    log,
    maxFileBytes,
    cacheBytes: options.blobCacheBytes ?? 64 * 1024 * 1024,
    concurrency: options.concurrency ?? 8,
    tarballMinBlobs: options.tarballMinBlobs ?? TARBALL_MIN_BLOBS,
    ...(options.maxTarballBytes === undefined ? {} : { maxTarballBytes: options.maxTarballBytes }),
  });

  const clientFor = (repository: SourceRepository): GitHubClient => {
    // One client per credential: a GitHub App's client keeps its installation token cache across polls.
    const { app } = repository;
    const credential = app ? `app\n${app.appId}\n${app.installationId}\n${app.privateKey}` : repository.token;
    const tokenId = credential === undefined ? "" : createHash("sha256").update(credential).digest("hex");
    const key = `${repository.apiUrl}\n${tokenId}`;
    let client = clients.get(key);
    if (client === undefined) {
      client = createClient({
        apiUrl: repository.apiUrl,
        ...(repository.token === undefined ? {} : { token: repository.token }),
        ...(app === undefined ? {} : { app }),
        ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
        log,
        retry: options.retry ?? defaultRetryPolicy,
        ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
        ...(options.deadline === undefined ? {} : { deadline: options.deadline }),
        ...(options.now === undefined ? {} : { now: options.now }),
      });
      clients.set(key, client);
    }
    return client;
  };

  async function poll(request: PollRequest): Promise<PollResult> {
    const { repository, services, known } = request;
    const { owner, repo, branch } = repository;
    const label = repositoryLabel(repository);
    const names = services.map((service) => service.name);
    const context = (what: string, subset: readonly string[] = names): RequestContext => ({
      repository: label,
      apiUrl: repository.apiUrl,
      services: subset,
      what,
      secrets: repository.token === undefined ? [] : [repository.token],
      now: now(),
    });
    const failed = (error: SourceError): PollResult => {
      log.warn({ repository: label, code: error.code }, error.message);
      const failures = services.map(
        (service): ServiceFailure => ({ ok: false, service: service.name, dir: service.dir, error }),
      );
      return { status: "failed", changed: false, error, services: failures };
    };
    const client = clientFor(repository);
    const headKey = `${repository.apiUrl}\n${label}`;
    const cached = heads.get(headKey);

    let head: Head;
    try {
      const response = await client.rest.repos.getBranch({
        owner,
        repo,
        branch,
        headers: cached?.etag === undefined ? {} : { "if-none-match": cached.etag },
      });
      // answerNotModified (github-transport.ts) hands a 304 back as a response, not as an error.
      if ((response.status as number) === 304 && cached !== undefined) head = cached;
      else {
        const etag = response.headers.etag;
        head = {
          commit: response.data.commit.sha,
          tree: response.data.commit.commit.tree.sha,
          ...(etag === undefined ? {} : { etag }),
        };
        // Recording the head is safe even if the rest of this poll fails: it is what GitHub says, and whether it was
        // applied is decided against the caller's known commits below, not against this cache.
        heads.set(headKey, head);
      }
    } catch (error) {
      if (httpStatus(error) === 304 && cached !== undefined) head = cached;
      else return failed(toSourceError(error, context(`branch ${branch}`)));
    }

    if (services.every((service) => known[service.name]?.commit === head.commit)) {
      log.debug({ repository: label, commit: head.commit }, "head unchanged");
      return { status: "unchanged", changed: false, commit: head.commit };
    }
    // A service that has not applied the head (a retry of a failed commit, a new service) reads it again at the same
    // head: only a head that differs from the last one read is a move.
    const headNews =
      cached === undefined ? "head read" : cached.commit === head.commit ? "head unchanged" : "head moved";
    log.info({ repository: label, commit: head.commit }, `${headNews}, reading tree`);

    const dirs = [...new Set(services.map((service) => normalizeDir(service.dir)))].sort();
    const listingKey = `${head.tree}\n${dirs.join("\n")}`;
    let listing = listings.get(listingKey);
    if (listing === undefined) {
      try {
        listing = await listServiceDirs(head.tree, dirs, (sha, recursive) =>
          readTree(client, repository, sha, recursive),
        );
      } catch (error) {
        return failed(toSourceError(error, context(`tree ${head.tree}`)));
      }
      listings.set(listingKey, listing);
    }
    const repoListing = listing;

    const { plans, ...read } = await planPoll({
      repository: label,
      services,
      listing: repoListing,
      known,
      maxFileBytes,
      readBlobs: (subset, prefetch) =>
        blobs.read({
          client,
          repository,
          plans: subset,
          context,
          commit: head.commit,
          ...(repoListing.tree === undefined ? {} : { tree: repoListing.tree }),
          ...(prefetch === undefined ? {} : { prefetch }),
        }),
    });
    const results = plans.map((plan): ServiceResult => {
      if (!plan.ok) return plan;
      const error = plan.files.map((file) => read.errors.get(file.sha)).find((found) => found !== undefined);
      if (error !== undefined) return { ok: false, service: plan.service, dir: plan.dir, error };
      return completeService(plan, read.texts, label);
    });
    for (const result of results) {
      if (!result.ok) {
        log.warn(
          { repository: label, service: result.service, code: result.error.code },
          result.error.message,
        );
      }
    }
    return { status: "changed", changed: true, commit: head.commit, services: results };
  }

  async function read(request: ReadRequest): Promise<ServiceResult> {
    const { repository, service } = request;
    const label = repositoryLabel(repository);
    const plan: ServicePlan = {
      ok: true,
      service: service.name,
      dir: service.dir,
      files: Object.entries(request.files)
        .map(([path, sha]) => ({ path, sha, size: 0, changed: false }))
        .sort((a, b) => comparePaths(a.path, b.path)),
      deleted: [],
    };
    const context = (what: string): RequestContext => ({
      repository: label,
      apiUrl: repository.apiUrl,
      services: [service.name],
      what,
      secrets: repository.token === undefined ? [] : [repository.token],
      now: now(),
    });
    const blobsRead = await blobs.read({ client: clientFor(repository), repository, plans: [plan], context });
    const error = plan.files
      .map((file) => blobsRead.errors.get(file.sha))
      .find((found) => found !== undefined);
    if (error !== undefined) return { ok: false, service: service.name, dir: service.dir, error };
    return completeService(plan, blobsRead.texts, label);
  }

  return { name: "github", poll, read };
}

async function readTree(
  client: GitHubClient,
  repository: SourceRepository,
  sha: string,
  recursive: boolean,
): Promise<GitTree> {
  const { data } = await client.rest.git.getTree({
    owner: repository.owner,
    repo: repository.repo,
    tree_sha: sha,
    ...(recursive ? { recursive: "1" } : {}),
  });
  return {
    sha: data.sha,
    truncated: data.truncated,
    tree: data.tree.map((entry) => ({
      path: entry.path,
      mode: entry.mode,
      type: entry.type,
      sha: entry.sha,
      ...(entry.size === undefined ? {} : { size: entry.size }),
    })),
  };
}

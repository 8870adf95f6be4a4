import { createHash } from "node:crypto";
import { pino } from "pino";
import { blobTextSize, decodeBlobText } from "./blob-text.js";
import { repositoryLabel, type SourceError } from "./errors.js";
import {
  createGitHubClient,
  defaultRetryPolicy,
  type GitHubClient,
  type GitHubClientOptions,
  type RetryPolicy,
} from "./github-client.js";
import { httpStatus, type RequestContext, toSourceError } from "./github-errors.js";
import { type GitTree, listServiceDirs } from "./github-tree.js";
import type { SourceLogger } from "./log.js";
import { LruCache } from "./lru.js";
import { comparePaths } from "./order.js";
import {
  type BlobText,
  blobsToRead,
  completeService,
  type DirListing,
  normalizeDir,
  planService,
  type ServicePlan,
} from "./plan.js";
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
  const concurrency = options.concurrency ?? 8;
  const createClient = options.createClient ?? createGitHubClient;
  const clients = new Map<string, GitHubClient>();
  // Only facts about GitHub are kept: the last head per branch (for If-None-Match) and content-addressed listings
  // and blobs. What was applied is the caller's `known`, so nothing here can make a failed apply look done.
  const heads = new Map<string, Head>();
  const listings = new LruCache<string, Map<string, DirListing>>({ maxWeight: 32 });
  const blobs = new LruCache<string, BlobText>({
    maxWeight: options.blobCacheBytes ?? 64 * 1024 * 1024,
    weigh: blobTextSize,
  });

  const clientFor = (repository: SourceRepository): GitHubClient => {
    const tokenId =
      repository.token === undefined ? "" : createHash("sha256").update(repository.token).digest("hex");
    const key = `${repository.apiUrl}\n${tokenId}`;
    let client = clients.get(key);
    if (client === undefined) {
      client = createClient({
        apiUrl: repository.apiUrl,
        ...(repository.token === undefined ? {} : { token: repository.token }),
        ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
        log,
        retry: options.retry ?? defaultRetryPolicy,
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
      const etag = response.headers.etag;
      head = {
        commit: response.data.commit.sha,
        tree: response.data.commit.commit.tree.sha,
        ...(etag === undefined ? {} : { etag }),
      };
      // Recording the head is safe even if the rest of this poll fails: it is what GitHub says, and whether it was
      // applied is decided against the caller's known commits below, not against this cache.
      heads.set(headKey, head);
    } catch (error) {
      if (httpStatus(error) === 304 && cached !== undefined) head = cached;
      else return failed(toSourceError(error, context(`branch ${branch}`)));
    }

    if (services.every((service) => known[service.name]?.commit === head.commit)) {
      log.debug({ repository: label, commit: head.commit }, "head unchanged");
      return { status: "unchanged", changed: false, commit: head.commit };
    }
    log.info({ repository: label, commit: head.commit }, "head moved, reading tree");

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
    const dirListing = listing;

    const plans = services.map((service) =>
      planService({
        repository: label,
        service,
        listing: dirListing.get(normalizeDir(service.dir)) ?? { exists: false, reason: "missing" },
        known: known[service.name],
        maxFileBytes,
      }),
    );
    const read = await readBlobs(client, repository, blobsToRead(plans), plans, context);
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

  // Reads the blobs a poll needs, from the cache or GitHub; one that cannot be read fails only the services that
  // contain it. The poll keeps its own map so a cache smaller than one poll's blobs cannot lose any of them.
  async function readBlobs(
    client: GitHubClient,
    repository: SourceRepository,
    shas: readonly string[],
    plans: readonly (ServicePlan | ServiceFailure)[],
    context: (what: string, subset?: readonly string[]) => RequestContext,
  ): Promise<{ texts: Map<string, BlobText>; errors: Map<string, SourceError> }> {
    const texts = new Map<string, BlobText>();
    const errors = new Map<string, SourceError>();
    const missing: string[] = [];
    for (const sha of shas) {
      const cached = blobs.get(sha);
      if (cached === undefined) missing.push(sha);
      else texts.set(sha, cached);
    }
    let next = 0;
    const worker = async () => {
      while (next < missing.length) {
        const sha = missing[next++] as string;
        try {
          const { data } = await client.rest.git.getBlob({
            owner: repository.owner,
            repo: repository.repo,
            file_sha: sha,
          });
          // GitHub answers `content: ""`/absent for a blob it will not inline; never decode `undefined` as text.
          if (typeof data.content !== "string" || (data.content === "" && (data.size ?? 0) > 0))
            throw new Error(`GitHub returned no content for blob ${sha} (${data.size} bytes)`);
          const text = decodeBlobText(
            Buffer.from(data.content, data.encoding === "base64" ? "base64" : "utf8"),
          );
          blobs.set(sha, text);
          texts.set(sha, text);
        } catch (error) {
          const users = plans.filter((plan) => plan.ok && plan.files.some((file) => file.sha === sha));
          errors.set(
            sha,
            toSourceError(
              error,
              context(
                `blob ${sha}`,
                users.map((plan) => plan.service),
              ),
            ),
          );
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, missing.length) }, worker));
    return { texts, errors };
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
    });
    const blobsRead = await readBlobs(
      clientFor(repository),
      repository,
      blobsToRead([plan]),
      [plan],
      context,
    );
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

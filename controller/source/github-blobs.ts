import { LruCache } from "../../common/lru.js";
import { blobTextSize, decodeBlobText } from "./blob-text.js";
import { SourceError } from "./errors.js";
import type { GitHubClient } from "./github-client.js";
import { type RequestContext, toSourceError } from "./github-errors.js";
import { MAX_TARBALL_BYTES, readTarball, TarballError } from "./github-tarball.js";
import type { SourceLogger } from "./log.js";
import { type BlobText, blobsToRead, type PlannedFile, type ServicePlan, type TreeEntry } from "./plan.js";
import type { ServiceFailure, SourceRepository } from "./source.js";

/** BlobReadInput is one poll's plans and what is known of its commit. */
export interface BlobReadInput {
  readonly client: GitHubClient;
  readonly repository: SourceRepository;
  readonly plans: readonly (ServicePlan | ServiceFailure)[];
  readonly context: (what: string, subset?: readonly string[]) => RequestContext;
  /** The commit read, and its whole tree when GitHub sent it whole: what a tarball is asked for and sized by. */
  readonly commit?: string;
  readonly tree?: readonly TreeEntry[];
  /**
   * Files a later step will probably need (a kustomization's bases before its text is read): they count towards
   * choosing a tarball and are kept from it, but are never read blob by blob.
   */
  readonly prefetch?: readonly PlannedFile[];
}

/** BlobsRead is every blob a poll needs, as text, or the error that kept one from being read. */
export interface BlobsRead {
  readonly texts: Map<string, BlobText>;
  readonly errors: Map<string, SourceError>;
}

/** BlobReaderOptions bound a blob reader; see GitHubSourceOptions. */
export interface BlobReaderOptions {
  readonly log: SourceLogger;
  readonly maxFileBytes: number;
  readonly cacheBytes: number;
  readonly concurrency: number;
  /** More uncached blobs than this are read from one tarball of the commit instead of one request each. */
  readonly tarballMinBlobs: number;
  readonly maxTarballBytes?: number;
}

/**
 * TARBALL_MIN_BLOBS is where one tarball (one charged request, plus its codeload download) beats one blob request
 * per file: past 16 files, two rounds of 8 parallel blob reads, the whole-commit download is the cheaper way.
 */
export const TARBALL_MIN_BLOBS = 16;

/**
 * createBlobReader reads the blobs a poll needs: from its cache (by SHA, so an unchanged file costs nothing), from
 * one tarball of the commit when many are missing (a first sync, a change touching many files), and from the blobs
 * API for the rest. A blob that cannot be read fails only the services that contain it.
 */
export function createBlobReader(options: BlobReaderOptions) {
  const cache = new LruCache<string, BlobText>({ maxWeight: options.cacheBytes, weigh: blobTextSize });
  const maxTarballBytes = options.maxTarballBytes ?? MAX_TARBALL_BYTES;
  const usersOf = (plans: BlobReadInput["plans"], shas: ReadonlySet<string>) =>
    plans
      .filter((plan) => plan.ok && plan.files.some((file) => shas.has(file.sha)))
      .map((plan) => plan.service);

  // The poll keeps its own map so a cache smaller than one poll's blobs cannot lose any of them.
  async function read(input: BlobReadInput): Promise<BlobsRead> {
    const texts = new Map<string, BlobText>();
    const errors = new Map<string, SourceError>();
    const keep = (sha: string, text: BlobText) => {
      cache.set(sha, text);
      texts.set(sha, text);
    };
    let missing: string[] = [];
    for (const sha of blobsToRead(input.plans)) {
      const cached = cache.get(sha);
      if (cached === undefined) missing.push(sha);
      else texts.set(sha, cached);
    }
    const needed = new Set(missing);
    const prefetch = new Map<string, string>();
    for (const file of input.prefetch ?? []) {
      if (needed.has(file.sha) || texts.has(file.sha)) continue;
      const cached = cache.get(file.sha);
      if (cached === undefined) prefetch.set(file.path, file.sha);
      else texts.set(file.sha, cached);
    }
    const repoBytes = input.tree?.reduce((sum, entry) => sum + (entry.size ?? 0), 0);
    if (
      missing.length + new Set(prefetch.values()).size > options.tarballMinBlobs &&
      input.commit !== undefined &&
      repoBytes !== undefined &&
      repoBytes <= maxTarballBytes
    ) {
      const error = await fromTarball(input, input.commit, missing, prefetch, keep);
      if (error !== undefined) {
        for (const sha of missing) errors.set(sha, error);
        return { texts, errors };
      }
      // What the archive did not hold as git stores it (export-ignore, export-subst, eol) is read blob by blob.
      missing = missing.filter((sha) => !texts.has(sha));
    }
    let next = 0;
    const worker = async () => {
      while (next < missing.length) {
        const sha = missing[next++] as string;
        try {
          keep(sha, await readBlob(input, sha));
        } catch (error) {
          errors.set(
            sha,
            toSourceError(error, input.context(`blob ${sha}`, usersOf(input.plans, new Set([sha])))),
          );
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.concurrency, missing.length) }, worker));
    return { texts, errors };
  }

  async function fromTarball(
    input: BlobReadInput,
    commit: string,
    missing: readonly string[],
    prefetch: ReadonlyMap<string, string>,
    keep: (sha: string, text: BlobText) => void,
  ): Promise<SourceError | undefined> {
    const wanted = new Map(prefetch);
    const shas = new Set(missing);
    for (const plan of input.plans) {
      if (!plan.ok) continue;
      for (const file of plan.files) if (shas.has(file.sha)) wanted.set(file.path, file.sha);
    }
    try {
      const found = await readTarball({
        client: input.client,
        repository: input.repository,
        commit,
        wanted,
        maxFileBytes: options.maxFileBytes,
        maxBytes: maxTarballBytes,
      });
      for (const [sha, bytes] of found) keep(sha, decodeBlobText(bytes));
      options.log.debug({ commit, files: found.size, wanted: shas.size }, "read blobs from the tarball");
      return undefined;
    } catch (error: unknown) {
      const context = input.context(`tarball of ${commit}`, usersOf(input.plans, shas));
      if (!(error instanceof TarballError)) return toSourceError(error, context);
      const who = `${context.repository} (services ${context.services.join(", ")})`;
      return new SourceError(
        error.reason === "unavailable" ? "E_SOURCE_UNAVAILABLE" : "E_SOURCE_PROTOCOL",
        `${who}: ${error.message}, reading ${shas.size} files; nothing of these services was applied. The next poll tries again.`,
        { repository: context.repository, services: context.services },
        { cause: error },
      );
    }
  }

  return { read };
}

async function readBlob(input: BlobReadInput, sha: string): Promise<BlobText> {
  const { data } = await input.client.rest.git.getBlob({
    owner: input.repository.owner,
    repo: input.repository.repo,
    file_sha: sha,
  });
  // GitHub answers `content: ""`/absent for a blob it will not inline; never decode `undefined` as text.
  if (typeof data.content !== "string" || (data.content === "" && (data.size ?? 0) > 0))
    throw new Error(`GitHub returned no content for blob ${sha} (${data.size} bytes)`);
  return decodeBlobText(Buffer.from(data.content, data.encoding === "base64" ? "base64" : "utf8"));
}

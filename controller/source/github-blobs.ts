import { LruCache } from "../../common/lru.js";
import { blobTextSize } from "./blob-text.js";
import type { SourceError } from "./errors.js";
import { readFromBlobApi } from "./github-blob-api.js";
import type { BlobReadInput, BlobsRead } from "./github-blob-input.js";
import { readFromTarball } from "./github-blob-tarball.js";
import { MAX_TARBALL_BYTES } from "./github-tarball.js";
import type { SourceLogger } from "./log.js";
import { type BlobText, blobsToRead, type TreeEntry } from "./plan.js";

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

/** BlobReader reads the blobs of one poll's plans; its cache outlives the poll. */
export interface BlobReader {
  read(input: BlobReadInput): Promise<BlobsRead>;
}

/**
 * createBlobReader reads the blobs a poll needs: from its cache (by SHA, so an unchanged file costs nothing), from
 * one tarball of the commit when many are missing (a first sync, a change touching many files), and from the blobs
 * API for the rest. A blob that cannot be read fails only the services that contain it.
 */
export function createBlobReader(options: BlobReaderOptions): BlobReader {
  const cache = new LruCache<string, BlobText>({ maxWeight: options.cacheBytes, weigh: blobTextSize });
  const maxTarballBytes = options.maxTarballBytes ?? MAX_TARBALL_BYTES;

  // The poll keeps its own map so a cache smaller than one poll's blobs cannot lose any of them.
  async function read(input: BlobReadInput): Promise<BlobsRead> {
    const texts = new Map<string, BlobText>();
    const errors = new Map<string, SourceError>();
    const keep = (sha: string, text: BlobText) => {
      cache.set(sha, text);
      texts.set(sha, text);
    };
    const { missing, prefetch } = takeCached(cache, input, texts);
    let unread = missing;
    const uncached = missing.length + new Set(prefetch.values()).size;
    if (
      input.commit !== undefined &&
      tarballPays(input.tree, uncached, options.tarballMinBlobs, maxTarballBytes)
    ) {
      const { commit } = input;
      const { log, maxFileBytes } = options;
      const error = await readFromTarball({
        input,
        commit,
        missing,
        prefetch,
        keep,
        maxFileBytes,
        maxTarballBytes,
        log,
      });
      if (error !== undefined) {
        for (const sha of missing) errors.set(sha, error);
        return { texts, errors };
      }
      // What the archive did not hold as git stores it (export-ignore, export-subst, eol) is read blob by blob.
      unread = missing.filter((sha) => !texts.has(sha));
    }
    await readFromBlobApi(input, unread, options.concurrency, keep, errors);
    return { texts, errors };
  }

  return { read };
}

/**
 * takeCached puts every cached blob the plans (or the prefetch) need into `texts`, and says which are missing: the
 * plans' SHAs, and the prefetch's files by path.
 */
function takeCached(
  cache: LruCache<string, BlobText>,
  input: BlobReadInput,
  texts: Map<string, BlobText>,
): { missing: string[]; prefetch: Map<string, string> } {
  const missing: string[] = [];
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
  return { missing, prefetch };
}

/**
 * tarballPays says whether one tarball beats a request per blob: more than `minBlobs` uncached, and a whole tree
 * known to unpack to at most `maxBytes` (a truncated tree cannot be sized).
 */
function tarballPays(
  tree: readonly TreeEntry[] | undefined,
  uncached: number,
  minBlobs: number,
  maxBytes: number,
): boolean {
  const repoBytes = tree?.reduce((sum, entry) => sum + (entry.size ?? 0), 0);
  return uncached > minBlobs && repoBytes !== undefined && repoBytes <= maxBytes;
}

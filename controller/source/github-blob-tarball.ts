import { decodeBlobText } from "./blob-text.js";
import { SourceError } from "./errors.js";
import type { BlobReadInput } from "./github-blob-input.js";
import { toSourceError } from "./github-errors.js";
import { readTarball, TarballError } from "./github-tarball.js";
import type { SourceLogger } from "./log.js";
import { type BlobText, usersOf } from "./plan.js";

/** TarballRead is one read of a commit's tarball for the blobs a poll misses. */
export interface TarballRead {
  readonly input: BlobReadInput;
  readonly commit: string;
  /** The blobs the poll's plans miss. */
  readonly missing: readonly string[];
  /** Path → SHA of files kept from the tarball on the guess that a later step needs them. */
  readonly prefetch: ReadonlyMap<string, string>;
  readonly keep: (sha: string, text: BlobText) => void;
  readonly maxFileBytes: number;
  readonly maxTarballBytes: number;
  readonly log: SourceLogger;
}

/**
 * readFromTarball reads the missing blobs (and the prefetch) from one tarball of the commit, handing each to
 * `keep`. It answers the error that fails every service needing them when the tarball cannot be read.
 */
export async function readFromTarball(read: TarballRead): Promise<SourceError | undefined> {
  const { input, commit } = read;
  const wanted = new Map(read.prefetch);
  const shas = new Set(read.missing);
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
      maxFileBytes: read.maxFileBytes,
      maxBytes: read.maxTarballBytes,
    });
    for (const [sha, bytes] of found) read.keep(sha, decodeBlobText(bytes));
    read.log.debug({ commit, files: found.size, wanted: shas.size }, "read blobs from the tarball");
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

import { createHash } from "node:crypto";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { createGunzip } from "node:zlib";
import { extract } from "tar-stream";
import type { GitHubClient } from "./github-client.js";
import type { SourceRepository } from "./source.js";

/**
 * MAX_TARBALL_BYTES bounds what one tarball may unpack to, 512 MiB: the whole repository streams through (only the
 * files a poll needs are kept), so this caps download time and CPU, not memory.
 */
export const MAX_TARBALL_BYTES = 512 * 1024 * 1024;

/** TarballError is a tarball that could not be used: too big, not a gzip'd tar, cut short, or not answered. */
export class TarballError extends Error {
  constructor(
    readonly reason: "too-big" | "malformed" | "unavailable",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** TarballRequest names one commit's tarball and the files wanted from it. */
export interface TarballRequest {
  readonly client: GitHubClient;
  readonly repository: SourceRepository;
  readonly commit: string;
  /** Blob SHA by repository path: only these are kept, and only when their bytes hash to that SHA. */
  readonly wanted: ReadonlyMap<string, string>;
  readonly maxFileBytes: number;
  readonly maxBytes: number;
}

/** gitBlobSha is the SHA git gives a blob: SHA-1 of `blob <size>\0` and the bytes. */
export function gitBlobSha(bytes: Uint8Array): string {
  return createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
}

/**
 * readTarball downloads one commit's tarball (`GET /repos/{o}/{r}/tarball/{sha}`, which GitHub answers with a 302 to
 * codeload that fetch follows within the same request deadline) and returns the bytes of the wanted files by blob
 * SHA. It streams: gunzip, then tar-stream's parser, keeping only wanted entries, so memory is what the poll needs
 * anyway. A file whose bytes do not hash to the tree's SHA (a `.gitattributes` export-subst or eol conversion, which
 * `git archive` applies) or that is absent (export-ignore) is simply not returned: the caller reads it as a blob.
 */
export async function readTarball(request: TarballRequest): Promise<Map<string, Buffer>> {
  const { client, repository, commit } = request;
  const response = await client.rest.repos.downloadTarballArchive({
    owner: repository.owner,
    repo: repository.repo,
    ref: commit,
    request: { parseSuccessResponseBody: false },
  });
  const body = response.data as unknown as WebReadableStream<Uint8Array> | null;
  if (body === null || typeof body !== "object" || !("getReader" in body))
    throw new TarballError("malformed", `the tarball of ${commit} came without a body`);
  const found = new Map<string, Buffer>();
  let unpacked = 0;
  const bound = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      unpacked += chunk.length;
      if (unpacked > request.maxBytes)
        done(
          new TarballError(
            "too-big",
            `the tarball of ${commit} unpacks to more than ${request.maxBytes} bytes, the limit`,
          ),
        );
      else done(null, chunk);
    },
  });
  const entries = extract();
  const piped = pipeline(Readable.fromWeb(body), createGunzip(), bound, entries);
  const consumed = (async () => {
    for await (const entry of entries) {
      // Every path is under one `owner-repo-sha7/` directory.
      const path = entry.header.name.slice(entry.header.name.indexOf("/") + 1);
      const sha = entry.header.type === "file" ? request.wanted.get(path) : undefined;
      if (sha === undefined || found.has(sha) || (entry.header.size ?? 0) > request.maxFileBytes) {
        entry.resume();
        continue;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      const bytes = Buffer.concat(chunks);
      if (gitBlobSha(bytes) === sha) found.set(sha, bytes);
    }
  })();
  try {
    await Promise.all([piped, consumed]);
  } catch (error: unknown) {
    if (error instanceof TarballError) throw error;
    const detail = (error as Error).message;
    const cut = /unexpected end|terminated|closed|aborted|timeout|ECONNRESET|socket/i.test(
      `${detail} ${(error as Error).name}`,
    );
    throw new TarballError(
      cut ? "unavailable" : "malformed",
      `the tarball of ${commit} ${cut ? "was cut short" : "is not a gzip'd tar"} (${detail})`,
      { cause: error },
    );
  }
  return found;
}

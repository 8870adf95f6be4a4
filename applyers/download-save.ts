import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { chmod, rename, rm } from "node:fs/promises";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { DownloadError, type StopReason } from "./download-error.js";

/**
 * saveExecutable streams `body` to `tmp` with mode 755, checks its sha256 when `sha256` is given, and renames it to
 * `dest`, so a crash mid-download never leaves a truncated binary that looks installed. On any failure `tmp` is
 * removed; a checksum mismatch is `E_DOWNLOAD_CHECKSUM`, a write that fails `E_DOWNLOAD_IO`.
 */
export async function saveExecutable(
  body: NodeJS.ReadableStream,
  to: { url: string; tmp: string; dest: string; sha256: string | undefined },
  signal: AbortSignal,
  stopped: StopReason,
): Promise<void> {
  const { url, tmp, dest, sha256 } = to;
  const hash = createHash("sha256");
  try {
    await pipeline(
      body,
      new Transform({
        transform(chunk, _enc, done) {
          hash.update(chunk);
          done(null, chunk);
        },
      }),
      createWriteStream(tmp, { mode: 0o755 }),
      { signal },
    );
    const actual = hash.digest("hex");
    if (sha256 && actual !== sha256.toLowerCase()) {
      throw new DownloadError("E_DOWNLOAD_CHECKSUM", `${url}: sha256 is ${actual}, expected ${sha256}`);
    }
    await chmod(tmp, 0o755);
    await rename(tmp, dest);
  } catch (error: unknown) {
    await rm(tmp, { force: true });
    if (error instanceof DownloadError) throw error;
    const why = stopped(error);
    if (why) throw why;
    throw new DownloadError("E_DOWNLOAD_IO", `saving ${url} to ${dest}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

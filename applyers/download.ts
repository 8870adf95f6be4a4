import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { chmod, mkdir, readFile, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { getGlobalDispatcher, interceptors, request as undiciRequest } from "undici";

/** HttpGet fetches a URL as a stream; the production one is undici's `request`. */
export type HttpGet = (url: string) => Promise<{ statusCode: number; body: NodeJS.ReadableStream }>;

/** undiciGet is the production {@link HttpGet}, following redirects (release hosts usually redirect). */
export const undiciGet: HttpGet = async (url) => {
  const dispatcher = getGlobalDispatcher().compose(interceptors.redirect({ maxRedirections: 5 }));
  const response = await undiciRequest(url, { method: "GET", dispatcher });
  return { statusCode: response.statusCode, body: response.body };
};

/** DownloadError says why an executable could not be downloaded; `code` is stable for logs and tests. */
export class DownloadError extends Error {
  override name = "DownloadError";
  constructor(
    readonly code: "E_DOWNLOAD_HTTP" | "E_DOWNLOAD_CHECKSUM" | "E_DOWNLOAD_IO",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** sha256File returns the hex sha256 of a file, or undefined when it does not exist. */
export async function sha256File(path: string): Promise<string | undefined> {
  try {
    return createHash("sha256")
      .update(await readFile(path))
      .digest("hex");
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * downloadExecutable saves `url` to `dest` with mode 755, checking `sha256` when given. It writes to a temporary
 * file and renames it into place, so a crash mid-download never leaves a truncated binary that looks installed.
 */
export async function downloadExecutable(opts: {
  url: string;
  dest: string;
  sha256?: string;
  get?: HttpGet;
}): Promise<void> {
  const { url, dest, get = undiciGet } = opts;
  await mkdir(dirname(dest), { recursive: true });
  const tmp = `${dest}.download-${process.pid}`;
  let response: Awaited<ReturnType<HttpGet>>;
  try {
    response = await get(url);
  } catch (error: unknown) {
    throw new DownloadError("E_DOWNLOAD_HTTP", `GET ${url}: ${(error as Error).message}`, { cause: error });
  }
  if (response.statusCode !== 200) {
    // Drain so the connection can be reused.
    for await (const _ of response.body) {
    }
    throw new DownloadError("E_DOWNLOAD_HTTP", `GET ${url}: HTTP ${response.statusCode}`);
  }
  const hash = createHash("sha256");
  try {
    await pipeline(
      response.body,
      new Transform({
        transform(chunk, _enc, done) {
          hash.update(chunk);
          done(null, chunk);
        },
      }),
      createWriteStream(tmp, { mode: 0o755 }),
    );
    const actual = hash.digest("hex");
    if (opts.sha256 && actual !== opts.sha256.toLowerCase()) {
      throw new DownloadError("E_DOWNLOAD_CHECKSUM", `${url}: sha256 is ${actual}, expected ${opts.sha256}`);
    }
    await chmod(tmp, 0o755);
    await rename(tmp, dest);
  } catch (error: unknown) {
    await rm(tmp, { force: true });
    if (error instanceof DownloadError) throw error;
    throw new DownloadError("E_DOWNLOAD_IO", `saving ${url} to ${dest}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

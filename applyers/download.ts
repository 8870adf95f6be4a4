import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { chmod, mkdir, readFile, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { formatTimeout } from "../common/run.js";
import { timerDelay } from "../common/timer-delay.js";

/**
 * HttpGet fetches one URL as a stream, without following redirects: a redirect comes back as its status with the
 * `location` it names, and {@link downloadExecutable} decides whether to follow it. `signal` aborts the request and
 * its body. The production one is undici's.
 */
export type HttpGet = (
  url: string,
  opts?: { signal?: AbortSignal },
) => Promise<{ statusCode: number; body: NodeJS.ReadableStream; location?: string }>;

/** undiciGet is the production {@link HttpGet}: one request, redirects returned rather than followed. */
export const undiciGet: HttpGet = async (url, opts = {}) => {
  // Imported on first download: most processes never download NoKube, and undici costs ~5 MiB of RSS.
  const { request: undiciRequest } = await import("undici");
  const response = await undiciRequest(url, {
    method: "GET",
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const location = response.headers.location;
  const first = Array.isArray(location) ? location[0] : location;
  return { statusCode: response.statusCode, body: response.body, ...(first ? { location: first } : {}) };
};

/** MAX_REDIRECTS bounds the redirects one download follows (release hosts usually redirect once or twice). */
export const MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** DOWNLOAD_TIMEOUT_MS bounds a whole download, body included, unless the caller says otherwise. */
export const DOWNLOAD_TIMEOUT_MS = 120_000;

/** DownloadError says why an executable could not be downloaded; `code` is stable for logs and tests. */
export class DownloadError extends Error {
  override name = "DownloadError";
  constructor(
    readonly code:
      | "E_DOWNLOAD_HTTP"
      | "E_DOWNLOAD_REDIRECT"
      | "E_DOWNLOAD_CHECKSUM"
      | "E_DOWNLOAD_IO"
      | "E_DOWNLOAD_TIMEOUT",
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
 * The whole download is bounded by `timeoutMs` (default {@link DOWNLOAD_TIMEOUT_MS}; past it: `E_DOWNLOAD_TIMEOUT`);
 * an aborted `signal` stops it and rejects with the signal's reason. Redirects are followed only to https URLs, at
 * most {@link MAX_REDIRECTS} of them: a hop to http (where anyone on the path could swap the binary) is refused
 * with `E_DOWNLOAD_REDIRECT`, naming both URLs.
 */
export async function downloadExecutable(opts: {
  url: string;
  dest: string;
  sha256?: string;
  get?: HttpGet;
  timeoutMs?: number;
  signal?: AbortSignal;
}): Promise<void> {
  const { url, dest, get = undiciGet, timeoutMs = DOWNLOAD_TIMEOUT_MS } = opts;
  opts.signal?.throwIfAborted();
  const deadline = AbortSignal.timeout(timerDelay(timeoutMs));
  const signal = opts.signal ? AbortSignal.any([opts.signal, deadline]) : deadline;
  /** stopped turns an abort into its reason, or a timeout into a DownloadError; undefined for anything else. */
  const stopped = (error: unknown): unknown => {
    if (opts.signal?.aborted) return opts.signal.reason;
    if (!deadline.aborted) return undefined;
    const message = `GET ${url} did not finish within ${formatTimeout(timeoutMs)}`;
    return new DownloadError("E_DOWNLOAD_TIMEOUT", message, { cause: error });
  };
  await mkdir(dirname(dest), { recursive: true });
  const tmp = `${dest}.download-${process.pid}`;
  /** drain reads a body we do not keep, so the connection can be reused; a stop while at it is thrown. */
  const drain = async (body: NodeJS.ReadableStream) => {
    try {
      for await (const _ of body) {
      }
    } catch (error: unknown) {
      const why = stopped(error);
      if (why) throw why;
    }
  };
  let response: Awaited<ReturnType<HttpGet>>;
  let current = url;
  for (let hops = 0; ; hops++) {
    try {
      response = await get(current, { signal });
    } catch (error: unknown) {
      throw (
        stopped(error) ??
        new DownloadError("E_DOWNLOAD_HTTP", `GET ${current}: ${(error as Error).message}`, { cause: error })
      );
    }
    if (!REDIRECT_STATUSES.has(response.statusCode)) break;
    await drain(response.body);
    const status = `GET ${current}: HTTP ${response.statusCode}`;
    if (!response.location) throw new DownloadError("E_DOWNLOAD_HTTP", `${status} without a Location`);
    let next: URL;
    try {
      next = new URL(response.location, current);
    } catch {
      throw new DownloadError("E_DOWNLOAD_REDIRECT", `${status} to an invalid URL: ${response.location}`);
    }
    if (next.protocol !== "https:") {
      throw new DownloadError(
        "E_DOWNLOAD_REDIRECT",
        `${status} redirects to ${next.href}: refusing a redirect that is not https`,
      );
    }
    if (hops >= MAX_REDIRECTS)
      throw new DownloadError("E_DOWNLOAD_REDIRECT", `GET ${url}: more than ${MAX_REDIRECTS} redirects`);
    current = next.href;
  }
  if (response.statusCode !== 200) {
    await drain(response.body);
    throw new DownloadError("E_DOWNLOAD_HTTP", `GET ${current}: HTTP ${response.statusCode}`);
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
      { signal },
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
    const why = stopped(error);
    if (why) throw why;
    throw new DownloadError("E_DOWNLOAD_IO", `saving ${url} to ${dest}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

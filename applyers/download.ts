import { createHash } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { formatTimeout } from "../common/run.js";
import { timerDelay } from "../common/timer-delay.js";
import { DownloadError, type StopReason } from "./download-error.js";
import { getFollowingRedirects } from "./download-follow.js";
import { saveExecutable } from "./download-save.js";
import { type HttpGet, undiciGet } from "./http-get.js";

/** DOWNLOAD_TIMEOUT_MS bounds a whole download, body included, unless the caller says otherwise. */
export const DOWNLOAD_TIMEOUT_MS = 120_000;

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
 * file and renames it into place, so a crash mid-download never leaves a truncated binary that looks installed
 * (download-save.ts). The whole download is bounded by `timeoutMs` (default {@link DOWNLOAD_TIMEOUT_MS}; past it:
 * `E_DOWNLOAD_TIMEOUT`); an aborted `signal` stops it and rejects with the signal's reason. Redirects are followed
 * only to https URLs, a few at most: a hop to http (where anyone on the path could swap the binary) is refused with
 * `E_DOWNLOAD_REDIRECT`, naming both URLs (download-follow.ts).
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
  const stopped: StopReason = (error) => {
    if (opts.signal?.aborted) return opts.signal.reason;
    if (!deadline.aborted) return undefined;
    const message = `GET ${url} did not finish within ${formatTimeout(timeoutMs)}`;
    return new DownloadError("E_DOWNLOAD_TIMEOUT", message, { cause: error });
  };
  await mkdir(dirname(dest), { recursive: true });
  const tmp = `${dest}.download-${process.pid}`;
  const body = await getFollowingRedirects(get, url, signal, stopped);
  await saveExecutable(body, { url, tmp, dest, sha256: opts.sha256 }, signal, stopped);
}

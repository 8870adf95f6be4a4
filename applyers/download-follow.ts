import { DownloadError, type StopReason } from "./download-error.js";
import type { HttpGet } from "./http-get.js";

/** MAX_REDIRECTS bounds the redirects one download follows (release hosts usually redirect once or twice). */
export const MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * getFollowingRedirects GETs `url` and follows its redirects, only to https URLs and at most {@link MAX_REDIRECTS}
 * of them: a hop to http (where anyone on the path could swap the binary) is refused with `E_DOWNLOAD_REDIRECT`,
 * naming both URLs. It returns the body of the final 200 answer; any other status is `E_DOWNLOAD_HTTP`.
 */
export async function getFollowingRedirects(
  get: HttpGet,
  url: string,
  signal: AbortSignal,
  stopped: StopReason,
): Promise<NodeJS.ReadableStream> {
  let current = url;
  for (let hops = 0; ; hops++) {
    let response: Awaited<ReturnType<HttpGet>>;
    try {
      response = await get(current, { signal });
    } catch (error: unknown) {
      throw (
        stopped(error) ??
        new DownloadError("E_DOWNLOAD_HTTP", `GET ${current}: ${(error as Error).message}`, { cause: error })
      );
    }
    if (!REDIRECT_STATUSES.has(response.statusCode)) {
      if (response.statusCode === 200) return response.body;
      await drain(response.body, stopped);
      throw new DownloadError("E_DOWNLOAD_HTTP", `GET ${current}: HTTP ${response.statusCode}`);
    }
    await drain(response.body, stopped);
    const next = redirectTarget(current, response.statusCode, response.location);
    if (hops >= MAX_REDIRECTS)
      throw new DownloadError("E_DOWNLOAD_REDIRECT", `GET ${url}: more than ${MAX_REDIRECTS} redirects`);
    current = next;
  }
}

/** redirectTarget is the https URL a redirect from `current` leads to, or the DownloadError that refuses it. */
function redirectTarget(current: string, statusCode: number, location: string | undefined): string {
  const status = `GET ${current}: HTTP ${statusCode}`;
  if (!location) throw new DownloadError("E_DOWNLOAD_HTTP", `${status} without a Location`);
  let next: URL;
  try {
    next = new URL(location, current);
  } catch {
    throw new DownloadError("E_DOWNLOAD_REDIRECT", `${status} to an invalid URL: ${location}`);
  }
  if (next.protocol !== "https:") {
    throw new DownloadError(
      "E_DOWNLOAD_REDIRECT",
      `${status} redirects to ${next.href}: refusing a redirect that is not https`,
    );
  }
  return next.href;
}

/** drain reads a body we do not keep, so the connection can be reused; a stop while at it is thrown. */
async function drain(body: NodeJS.ReadableStream, stopped: StopReason): Promise<void> {
  try {
    for await (const _ of body) {
    }
  } catch (error: unknown) {
    const why = stopped(error);
    if (why) throw why;
  }
}

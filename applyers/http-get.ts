/**
 * HttpGet fetches one URL as a stream, without following redirects: a redirect comes back as its status with the
 * `location` it names, and the caller decides whether to follow it. `signal` aborts the request and its body. The
 * production one is undici's.
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

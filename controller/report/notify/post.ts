import { timerDelay } from "../../../common/timer-delay.js";

/** PostResponse is what the dispatcher needs from a receiver's answer. */
export interface PostResponse {
  readonly status: number;
  /** retryAfterMs is the receiver's `Retry-After`, when it sent one in seconds. */
  readonly retryAfterMs?: number;
}

/** Post sends one JSON body; it rejects on network errors and timeouts, and resolves with any HTTP status. */
export type Post = (
  url: string,
  body: string,
  headers: Readonly<Record<string, string>>,
  timeoutMs: number,
) => Promise<PostResponse>;

/**
 * fetchPost is the production {@link Post}: Node's own fetch, so no HTTP client library is loaded into every
 * process for a feature most installs never configure. The timeout bounds the request up to the response headers;
 * the response body is never read.
 */
export const fetchPost: Post = async (url, body, headers, timeoutMs) => {
  const res = await fetch(url, {
    method: "POST",
    body,
    headers: { "content-type": "application/json", "user-agent": "simple-gitops", ...headers },
    // A redirect comes back as its own 3xx status: a receiver cannot bounce a signed body elsewhere.
    redirect: "manual",
    signal: AbortSignal.timeout(timerDelay(timeoutMs)),
  });
  // Cancelled rather than drained: a receiver streaming an endless answer cannot hold the worker.
  await res.body?.cancel();
  const retryAfter = Number(res.headers.get("retry-after") ?? Number.NaN);
  return {
    status: res.status,
    ...(Number.isFinite(retryAfter) && retryAfter >= 0 && { retryAfterMs: retryAfter * 1000 }),
  };
};

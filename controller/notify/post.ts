import { request } from "undici";

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

/** undiciPost is the production {@link Post}: undici with a whole-request timeout, the body always drained. */
export const undiciPost: Post = async (url, body, headers, timeoutMs) => {
  const res = await request(url, {
    method: "POST",
    body,
    headers: { "content-type": "application/json", "user-agent": "simple-gitops", ...headers },
    // undici follows no redirects by default, so a receiver cannot bounce a signed body elsewhere.
    signal: AbortSignal.timeout(timeoutMs),
  });
  // An unread body keeps the connection busy; we never need it.
  await res.body.dump();
  const retryAfter = Number(res.headers["retry-after"]);
  return {
    status: res.statusCode,
    ...(Number.isFinite(retryAfter) && retryAfter >= 0 && { retryAfterMs: retryAfter * 1000 }),
  };
};

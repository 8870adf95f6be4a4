import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import { Octokit } from "@octokit/rest";
import { type GitHubAppCredentials, githubAppAuthOptions } from "./github-auth.js";
import { answerNotModified, boundedFetch, type Deadline } from "./github-transport.js";
import { type SourceLogger, scrubSecrets } from "./log.js";

export { boundedFetch } from "./github-transport.js";

/**
 * GitHubOctokit is Octokit with the throttling and retry plugins, the client every GitHub source request uses.
 * answerNotModified comes first so that it runs inside both: a 304 never reaches their error paths.
 */
export const GitHubOctokit = Octokit.plugin(answerNotModified, throttling, retry);

/** GitHubClient is one configured GitHubOctokit instance. */
export type GitHubClient = InstanceType<typeof GitHubOctokit>;

/**
 * RetryPolicy bounds how hard a client insists. `baseMs` scales every wait (server errors back off
 * (n+1)² × baseMs; rate limits wait Retry-After seconds × baseMs / 1000), so tests pass 1 and never sleep.
 */
export interface RetryPolicy {
  /** Retries of a 5xx or a dropped connection. */
  readonly retries: number;
  /** Retries of one request refused by a rate limit. */
  readonly rateLimitRetries: number;
  /** A rate limit asking to wait longer than this is reported instead of waited for. */
  readonly maxRetryAfterSeconds: number;
  readonly baseMs: number;
}

/** defaultRetryPolicy waits at most 1 + 4 + 9 s for server errors and up to a minute, twice, for rate limits. */
export const defaultRetryPolicy: RetryPolicy = {
  retries: 3,
  rateLimitRetries: 2,
  maxRetryAfterSeconds: 60,
  baseMs: 1000,
};

/** GitHubClientOptions are the values and collaborators one client is built from. */
export interface GitHubClientOptions {
  readonly apiUrl: string;
  readonly token?: string;
  /** app authenticates as a GitHub App installation instead of with `token` (see github-auth.ts). */
  readonly app?: GitHubAppCredentials;
  /** now is the clock installation tokens are cached by; injected by tests that refresh a token. */
  readonly now?: () => number;
  /** throttle false leaves write spacing and rate-limit waits to the caller (the commit-status queue). */
  readonly throttle?: boolean;
  readonly fetch?: typeof globalThis.fetch;
  readonly log: SourceLogger;
  readonly retry?: RetryPolicy;
  readonly userAgent?: string;
  /** requestTimeoutMs bounds each HTTP request (a retry starts a new one). Default {@link GITHUB_REQUEST_TIMEOUT_MS}. */
  readonly requestTimeoutMs?: number;
  /** deadline makes each request's timeout signal. Default `AbortSignal.timeout`. */
  readonly deadline?: Deadline;
}

/** GITHUB_REQUEST_TIMEOUT_MS is how long one GitHub request may take: Node's own default is five minutes. */
export const GITHUB_REQUEST_TIMEOUT_MS = 30_000;

/**
 * createGitHubClient builds an Octokit for one API root and token with bounded retries: 5xx and dropped
 * connections are retried by the retry plugin; rate limits (403/429 with Retry-After or an exhausted quota) by the
 * throttling plugin; 4xx other than those never, so bad credentials cost one request, not a storm.
 */
export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const policy = options.retry ?? defaultRetryPolicy;
  const secrets = options.token === undefined ? [] : [options.token];
  // Octokit logs its request options (headers included) at debug and every 304 as an error: keep only the
  // message text, scrubbed, and demote it to debug so an idle poll logs nothing above debug.
  const octokitLog = (...args: unknown[]) => {
    const [first] = args;
    if (typeof first === "string") options.log.debug({ component: "octokit" }, scrubSecrets(first, secrets));
  };
  const onLimit =
    (kind: string) =>
    (retryAfter: number, request: { method: string; url: string }, _o: unknown, retryCount: number) => {
      const retrying = retryCount < policy.rateLimitRetries && retryAfter <= policy.maxRetryAfterSeconds;
      options.log.warn(
        { method: request.method, url: request.url, retryAfter, retryCount, retrying },
        `GitHub ${kind} rate limit hit${retrying ? `, retrying in ${retryAfter}s` : ", giving up for this poll"}`,
      );
      return retrying;
    };
  return new GitHubOctokit({
    baseUrl: options.apiUrl.replace(/\/+$/, ""),
    ...(options.app
      ? githubAppAuthOptions(options.app, options.now ? { now: options.now } : {})
      : options.token === undefined
        ? {}
        : { auth: options.token }),
    userAgent: options.userAgent ?? "simple-gitops",
    log: { debug: octokitLog, info: octokitLog, warn: octokitLog, error: octokitLog },
    request: {
      fetch: boundedFetch(
        options.fetch ?? globalThis.fetch,
        options.requestTimeoutMs ?? GITHUB_REQUEST_TIMEOUT_MS,
        { log: options.log, ...(options.deadline === undefined ? {} : { deadline: options.deadline }) },
      ),
    },
    retry: {
      retries: policy.retries,
      retryAfterBaseValue: policy.baseMs,
      // 403 and 429 belong to the throttling plugin; 401/404/409/422 will not change by asking again.
      doNotRetry: [304, 400, 401, 403, 404, 409, 410, 422, 429, 451],
    },
    throttle: {
      enabled: options.throttle ?? true,
      // The id keys the plugin's shared concurrency groups: one per API root, not one for the whole process.
      id: options.apiUrl,
      retryAfterBaseValue: policy.baseMs,
      onRateLimit: onLimit("primary"),
      onSecondaryRateLimit: onLimit("secondary"),
    },
  });
}

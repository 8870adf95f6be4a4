import { GitHubAppAuthError } from "../../source/github-auth.js";
import { createGitHubClient, type GitHubClient } from "../../source/github-client.js";
import { githubMessage, type HttpFailure, httpStatus } from "../../source/github-errors.js";
import { type SourceLogger, scrubSecrets } from "../../source/log.js";
import type { SourceRepository } from "../../source/source.js";
import type { PostOutcome, PostStatus } from "./queue-drain.js";

/** StatusRepo is a repository statuses are posted to (its `github_configs` key), with its credential resolved. */
export interface StatusRepo extends Pick<SourceRepository, "owner" | "repo" | "apiUrl" | "token" | "app"> {
  readonly key: string;
}

/** StatusPosterOptions are the repositories and the collaborators of the poster. */
export interface StatusPosterOptions {
  readonly repos: readonly StatusRepo[];
  readonly log: SourceLogger;
  readonly fetch?: typeof globalThis.fetch;
  /** now is the clock installation tokens are cached by. */
  readonly now?: () => number;
  /** requestTimeoutMs bounds one post. Default 10 s. */
  readonly requestTimeoutMs?: number;
}

const PERMISSION =
  'the token needs "Commit statuses: Read and write" (fine-grained token), repo:status (classic token), or a GitHub App with Commit statuses: write';

/** explain says whether a failed post is worth retrying, and why it failed, with no credential in it. */
function explain(error: unknown, secrets: readonly string[], now: number): PostOutcome {
  if (error instanceof GitHubAppAuthError) return { ok: false, retry: false, reason: error.message };
  const status = httpStatus(error);
  const failure = (error ?? {}) as HttpFailure;
  const detail = scrubSecrets(githubMessage(failure), secrets).slice(0, 300);
  const headers = failure.response?.headers ?? {};
  const retryAfter = Number(headers["retry-after"]);
  const reset = Number(headers["x-ratelimit-reset"]);
  const exhausted = String(headers["x-ratelimit-remaining"]) === "0";
  // GitHub's Retry-After is the wait it asks for; an exhausted quota waits for its reset, nothing else does.
  const waitMs =
    Number.isFinite(retryAfter) && retryAfter > 0
      ? retryAfter * 1000
      : exhausted && Number.isFinite(reset) && reset > 0
        ? Math.max(0, reset * 1000 - now)
        : undefined;
  const wait = waitMs === undefined ? {} : { retryAfterMs: waitMs };
  if (status === undefined || status >= 500 || status === 429)
    return {
      ok: false,
      retry: true,
      reason: `GitHub did not take it (${status ?? "no answer"}: ${detail})`,
      ...wait,
    };
  if (status === 403 && (exhausted || /rate limit/i.test(detail)))
    return { ok: false, retry: true, reason: `GitHub rate limit (${detail})`, ...wait };
  if (status === 403 || status === 404)
    return { ok: false, retry: false, reason: `GitHub answered ${status} (${detail}): ${PERMISSION}` };
  return { ok: false, retry: false, reason: `GitHub answered ${status} (${detail})` };
}

/**
 * createStatusPoster posts one commit status per call through a client per repository, each bounded by a timeout
 * and the caller's signal. The clients neither retry nor wait on their own: the status queue does both with its
 * injected clock, so one status is never sent twice by two retry layers.
 */
export function createStatusPoster(options: StatusPosterOptions): PostStatus {
  const secrets = options.repos.flatMap((repo) => [repo.token ?? [], repo.app?.privateKey ?? []].flat());
  const clients = new Map<string, { repo: StatusRepo; client: GitHubClient }>();
  for (const repo of options.repos) {
    const client = createGitHubClient({
      apiUrl: repo.apiUrl,
      ...(repo.token === undefined ? {} : { token: repo.token }),
      ...(repo.app === undefined ? {} : { app: repo.app }),
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      ...(options.now === undefined ? {} : { now: options.now }),
      log: options.log,
      retry: { retries: 0, rateLimitRetries: 0, maxRetryAfterSeconds: 0, baseMs: 1000 },
      throttle: false,
      requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
    });
    clients.set(repo.key, { repo, client });
  }
  const now = options.now ?? Date.now;
  return async (status, signal) => {
    const entry = clients.get(status.repoKey);
    if (entry === undefined) return { ok: false, retry: false, reason: `no repository ${status.repoKey}` };
    try {
      await entry.client.rest.repos.createCommitStatus({
        owner: entry.repo.owner,
        repo: entry.repo.repo,
        sha: status.sha,
        state: status.state,
        context: status.context,
        description: status.description,
        ...(status.targetUrl === undefined ? {} : { target_url: status.targetUrl }),
        request: { signal },
      });
      return { ok: true };
    } catch (error: unknown) {
      return explain(error, secrets, now());
    }
  };
}

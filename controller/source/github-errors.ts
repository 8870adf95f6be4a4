import { redactUrl } from "../../common/redact-url.js";
import { repositoryLabel, SourceError, type SourceErrorCode } from "./errors.js";
import { GitHubAppAuthError } from "./github-auth.js";
import { scrubSecrets } from "./log.js";
import type { SourceRepository } from "./source.js";

/** RequestContext says which request failed, for whom, so an error can name all of it. */
export interface RequestContext {
  readonly repository: string;
  readonly apiUrl: string;
  readonly services: readonly string[];
  /** What was being read: `branch main`, `tree 3f2a…`, `blob 9c1d…`. */
  readonly what: string;
  readonly secrets: readonly string[];
  /** The wall-clock time (epoch ms) of the failure, from the source's clock: a `Retry-After` counts from it. */
  readonly now: number;
}

/** HttpFailure is the shape of an Octokit request error, as far as errors are explained from it. */
export interface HttpFailure {
  readonly status?: unknown;
  readonly message?: unknown;
  readonly response?: { readonly headers?: Record<string, unknown>; readonly data?: unknown };
}

/** httpStatus reads the HTTP status an Octokit error carries, if any. */
export function httpStatus(error: unknown): number | undefined {
  const status = (error as HttpFailure | undefined)?.status;
  return typeof status === "number" ? status : undefined;
}

/** githubMessage is the message GitHub's error body gave, else the error's own. */
export function githubMessage(error: HttpFailure): string {
  const data = error.response?.data;
  if (
    typeof data === "object" &&
    data !== null &&
    typeof (data as { message?: unknown }).message === "string"
  ) {
    return (data as { message: string }).message;
  }
  return typeof error.message === "string" ? error.message : String(error);
}

/**
 * requestContext gives the context of each request of one poll or read of `repository` for `services`: `what` is
 * being read and, for a blob or a tarball, only the services that need it.
 */
export function requestContext(
  repository: SourceRepository,
  services: readonly string[],
  now: () => number,
): (what: string, subset?: readonly string[]) => RequestContext {
  return (what, subset = services) => ({
    repository: repositoryLabel(repository),
    apiUrl: repository.apiUrl,
    services: subset,
    what,
    secrets: repository.token === undefined ? [] : [repository.token],
    now: now(),
  });
}

/**
 * toSourceError turns an Octokit failure into a SourceError naming the repository, the services and the next step.
 * The Octokit error is dropped on purpose: it holds the request (headers included) and the raw response.
 */
export function toSourceError(error: unknown, context: RequestContext): SourceError {
  const failure = (error ?? {}) as HttpFailure;
  const status = httpStatus(error);
  const detail = scrubSecrets(githubMessage(failure), context.secrets);
  const { code, text, until } = explain(
    error,
    { status, detail, headers: failure.response?.headers ?? {} },
    context,
  );
  return new SourceError(
    code,
    scrubSecrets(text, context.secrets),
    {
      repository: context.repository,
      services: context.services,
      ...(status === undefined ? {} : { status }),
      ...(until === undefined ? {} : { until }),
    },
    { cause: new Error(`HTTP ${status ?? "?"} reading ${context.what}: ${detail}`) },
  );
}

interface Answer {
  readonly status: number | undefined;
  /** GitHub's message, secrets scrubbed. */
  readonly detail: string;
  readonly headers: Record<string, unknown>;
}

/** explain is the code and the sentence (who, what failed, what to do) for what GitHub answered. */
function explain(
  error: unknown,
  { status, detail, headers }: Answer,
  context: RequestContext,
): { code: SourceErrorCode; text: string; until?: string } {
  const who = `${context.repository} (service${context.services.length === 1 ? "" : "s"} ${context.services.join(", ")}) at ${redactUrl(context.apiUrl)}`;
  const { what } = context;
  // The app could not get an installation token: its own message says which github_app field to fix.
  if (error instanceof GitHubAppAuthError)
    return { code: "E_SOURCE_BAD_CREDENTIALS", text: `${who}: ${error.message}` };
  if (status === 401) {
    return {
      code: "E_SOURCE_BAD_CREDENTIALS",
      text: `${who}: GitHub rejected the token (bad credentials). Renew the token in token, token_env or token_file; not retried until the next poll.`,
    };
  }
  if (status === 404 && what.startsWith("branch") && /branch not found/i.test(detail)) {
    return {
      code: "E_SOURCE_BRANCH_NOT_FOUND",
      text: `${who}: the ${what} does not exist. Push the branch or fix the branch in the repository config.`,
    };
  }
  if (status === 404 && what.startsWith("branch")) {
    return {
      code: "E_SOURCE_REPO_NOT_FOUND",
      text: `${who}: repository not found. Check owner and name, and that the token can read it (GitHub answers 404, not 403, for a private repository the token cannot see).`,
    };
  }
  // A commit read by its SHA (a rollback): GitHub answers 404, or 422 for a SHA it cannot resolve.
  if ((status === 404 || status === 422) && what.startsWith("commit")) {
    return {
      code: "E_SOURCE_COMMIT_NOT_FOUND",
      text: `${who}: the ${what} is not in the repository (${detail}); it may have been force-pushed away. Nothing was applied.`,
    };
  }
  if (isRateLimited({ status, detail, headers })) {
    const { until, when } = rateLimitWait(headers, context.now);
    return {
      code: "E_SOURCE_RATE_LIMITED",
      text: `${who}: GitHub rate limit reached${when} while reading the ${what}. Polls resume by themselves; lengthen poll_interval or use a token if this repeats.`,
      ...(until === undefined ? {} : { until }),
    };
  }
  if (status === 403) {
    return {
      code: "E_SOURCE_FORBIDDEN",
      text: `${who}: GitHub refused to read the ${what} (${detail}). Give the token read access to the repository contents.`,
    };
  }
  if (status === undefined || status >= 500) {
    return {
      code: "E_SOURCE_UNAVAILABLE",
      text: `${who}: GitHub did not answer reading the ${what} (${detail}) after retries. The next poll tries again.`,
    };
  }
  return {
    code: "E_SOURCE_PROTOCOL",
    text: `${who}: unexpected HTTP ${status} reading the ${what} (${detail}). The next poll tries again.`,
  };
}

/** isRateLimited says whether GitHub refused for a rate limit: an exhausted quota, or a secondary limit it named. */
function isRateLimited({ status, detail, headers }: Answer): boolean {
  return (
    (status === 403 || status === 429) &&
    (String(headers["x-ratelimit-remaining"]) === "0" || /rate limit/i.test(detail))
  );
}

/**
 * rateLimitWait says until when a rate limit holds (ISO 8601, if GitHub said) and how to word it. A secondary limit
 * says how long to wait in Retry-After, counted from `now`; only an exhausted quota waits for the hourly reset.
 */
function rateLimitWait(headers: Record<string, unknown>, now: number): { until?: string; when: string } {
  const retryAfter = Number(headers["retry-after"]);
  if (Number.isFinite(retryAfter) && retryAfter > 0) {
    const until = new Date(now + retryAfter * 1000).toISOString();
    return { until, when: ` (secondary limit: retry after ${retryAfter} s)` };
  }
  const reset = Number(headers["x-ratelimit-reset"]);
  if (!(Number.isFinite(reset) && reset > 0)) return { when: "" };
  const until = new Date(reset * 1000).toISOString();
  return { until, when: ` until ${until}` };
}

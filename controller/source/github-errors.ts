import { redactUrl } from "../../common/redact-url.js";
import { SourceError, type SourceErrorCode } from "./errors.js";
import { GitHubAppAuthError } from "./github-auth.js";
import { scrubSecrets } from "./log.js";

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
 * toSourceError turns an Octokit failure into a SourceError naming the repository, the services and the next step.
 * The Octokit error is dropped on purpose: it holds the request (headers included) and the raw response.
 */
export function toSourceError(error: unknown, context: RequestContext): SourceError {
  const failure = (error ?? {}) as HttpFailure;
  const status = httpStatus(error);
  const detail = scrubSecrets(githubMessage(failure), context.secrets);
  const headers = failure.response?.headers ?? {};
  const who = `${context.repository} (service${context.services.length === 1 ? "" : "s"} ${context.services.join(", ")}) at ${redactUrl(context.apiUrl)}`;
  const make = (code: SourceErrorCode, text: string, until?: string) =>
    new SourceError(
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

  // The app could not get an installation token: its own message says which github_app field to fix.
  if (error instanceof GitHubAppAuthError)
    return make("E_SOURCE_BAD_CREDENTIALS", `${who}: ${error.message}`);
  if (status === 401) {
    return make(
      "E_SOURCE_BAD_CREDENTIALS",
      `${who}: GitHub rejected the token (bad credentials). Renew the token in token, token_env or token_file; not retried until the next poll.`,
    );
  }
  if (status === 404 && context.what.startsWith("branch") && /branch not found/i.test(detail)) {
    return make(
      "E_SOURCE_BRANCH_NOT_FOUND",
      `${who}: the ${context.what} does not exist. Push the branch or fix the branch in the repository config.`,
    );
  }
  if (status === 404 && context.what.startsWith("branch")) {
    return make(
      "E_SOURCE_REPO_NOT_FOUND",
      `${who}: repository not found. Check owner and name, and that the token can read it (GitHub answers 404, not 403, for a private repository the token cannot see).`,
    );
  }
  const rateLimited =
    (status === 403 || status === 429) &&
    (String(headers["x-ratelimit-remaining"]) === "0" || /rate limit/i.test(detail));
  if (rateLimited) {
    // A secondary limit says how long to wait in Retry-After; only an exhausted quota waits for the hourly reset.
    const retryAfter = Number(headers["retry-after"]);
    const reset = Number(headers["x-ratelimit-reset"]);
    const secondary = Number.isFinite(retryAfter) && retryAfter > 0;
    const resumeAt = secondary
      ? context.now + retryAfter * 1000
      : Number.isFinite(reset) && reset > 0
        ? reset * 1000
        : undefined;
    const until = resumeAt === undefined ? undefined : new Date(resumeAt).toISOString();
    const when = secondary
      ? ` (secondary limit: retry after ${retryAfter} s)`
      : until === undefined
        ? ""
        : ` until ${until}`;
    return make(
      "E_SOURCE_RATE_LIMITED",
      `${who}: GitHub rate limit reached${when} while reading the ${context.what}. Polls resume by themselves; lengthen poll_interval or use a token if this repeats.`,
      until,
    );
  }
  if (status === 403) {
    return make(
      "E_SOURCE_FORBIDDEN",
      `${who}: GitHub refused to read the ${context.what} (${detail}). Give the token read access to the repository contents.`,
    );
  }
  if (status === undefined || status >= 500) {
    return make(
      "E_SOURCE_UNAVAILABLE",
      `${who}: GitHub did not answer reading the ${context.what} (${detail}) after retries. The next poll tries again.`,
    );
  }
  return make(
    "E_SOURCE_PROTOCOL",
    `${who}: unexpected HTTP ${status} reading the ${context.what} (${detail}). The next poll tries again.`,
  );
}

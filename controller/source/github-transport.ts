import type { Octokit } from "@octokit/rest";
import { redactUrl } from "../../common/redact-url.js";
import { timerDelay } from "../../common/timer-delay.js";
import type { SourceLogger } from "./log.js";

/** Deadline makes the signal that ends one request after `ms`; injected so tests time out on a manual clock. */
export type Deadline = (ms: number) => AbortSignal;

/**
 * GitHubTimeoutError is a request abandoned at its deadline. Its name is "AbortError" on purpose: @octokit/request
 * passes an AbortError through as it is, so neither the retry nor the throttling plugin asks again. A request that
 * hung once is likely to hang again; the next poll tries, and meanwhile the other repositories are polled.
 */
export class GitHubTimeoutError extends Error {
  override readonly name = "AbortError";
}

/** TARBALL_TIMEOUT_MS bounds a tarball download (its redirect to codeload included) instead of the request timeout. */
export const TARBALL_TIMEOUT_MS = 300_000;
const TARBALL_PATH = /\/repos\/[^/]+\/[^/]+\/tarball\//;

/**
 * boundedFetch gives every request a deadline, kept alongside any signal the caller passed: a GitHub request that
 * never answers must not stop the polling of every repository. The deadline covers the body too (a slow body or a
 * redirect's second hop); a request that misses it is logged at warn, naming the call.
 */
export function boundedFetch(
  fetch: typeof globalThis.fetch,
  requestTimeoutMs: number,
  options: { readonly deadline?: Deadline; readonly log?: SourceLogger } = {},
): typeof globalThis.fetch {
  const deadlineFor = options.deadline ?? ((ms: number) => AbortSignal.timeout(timerDelay(ms)));
  return (input, init) => {
    const target = input instanceof Request ? input.url : String(input);
    // A tarball is a whole repository's files in one body: 30 s would fail a large one on every poll, for good.
    const timeoutMs = TARBALL_PATH.test(target)
      ? Math.max(requestTimeoutMs, TARBALL_TIMEOUT_MS)
      : requestTimeoutMs;
    const deadline = deadlineFor(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, deadline]) : deadline;
    return fetch(input, { ...init, signal }).catch((error: unknown) => {
      if (!deadline.aborted || init?.signal?.aborted) throw error;
      const url = redactUrl(target);
      const call = `${init?.method ?? "GET"} ${url}`;
      options.log?.warn({ call, timeoutMs }, `GitHub request ${call} did not answer within ${timeoutMs} ms`);
      throw new GitHubTimeoutError(`GitHub did not answer within ${timeoutMs} ms (${call})`, {
        cause: error,
      });
    });
  };
}

/**
 * answerNotModified is an Octokit plugin, installed before the throttling and retry plugins, that turns the 304
 * @octokit/request throws for a conditional request into an ordinary response with `status: 304`. An idle poll is a
 * 304, so this keeps the common case off both plugins' error paths (Bottleneck's failure events, the retry
 * decision), where a thrown error costs more than the request itself.
 *
 * It also turns a 2xx JSON answer whose body was cut short into a 502: @octokit/request reads such a body as `""`
 * without failing, which would otherwise reach the caller as a successful, empty answer instead of being retried.
 */
export function answerNotModified(octokit: Pick<Octokit, "hook">) {
  octokit.hook.wrap("request", async (request, options) => {
    let response: Awaited<ReturnType<typeof request>>;
    try {
      response = await request(options);
    } catch (error: unknown) {
      const failure = error as { status?: unknown; response?: object };
      if (failure.status === 304 && failure.response !== undefined) {
        return { ...failure.response, status: 304, data: undefined } as never;
      }
      throw error;
    }
    const type = String(response.headers["content-type"] ?? "");
    if (typeof response.data === "string" && type.includes("json")) {
      // Shaped as @octokit/request's RequestError (status, request, response), which is what the retry plugin retries.
      throw Object.assign(new Error("GitHub's answer was cut short"), {
        status: 502,
        request: options,
        response,
      });
    }
    return response;
  });
  return {};
}

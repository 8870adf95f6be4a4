import type { ReadableRepo, RouteAnswer, TestApps } from "./app-auth.js";
import type { createRateLimits } from "./rate-limits.js";
import { DOCS, errorBody } from "./responses.js";

/** AccessDeps are what deciding whether a request may reach a repository reads. */
export interface AccessDeps<R extends ReadableRepo> {
  readonly apps: TestApps;
  readonly limits: ReturnType<typeof createRateLimits>;
  readonly repos: ReadonlyMap<string, R>;
}

/**
 * access checks a request as GitHub does, in GitHub's order: a write without a token is 401 "Requires
 * authentication", an unknown token 401, an exhausted rate limit 403 (none of these charged), a repository the token
 * cannot see 404 (charged, as GitHub charges it). It gives the repository, or the answer to send instead.
 */
export function access<R extends ReadableRepo>(
  deps: AccessDeps<R>,
  request: { owner: string; name: string; token: string | undefined; write: boolean; docs: string },
): { repo: R } | { answer: RouteAnswer } {
  const { token, docs } = request;
  if (token === undefined && request.write)
    return { answer: { status: 401, body: errorBody("Requires authentication", 401, docs), charged: false } };
  if (token !== undefined && !deps.limits.knows(token))
    return { answer: { status: 401, body: errorBody("Bad credentials", 401), charged: false } };
  if (deps.limits.bucket(token).remaining === 0) {
    const body = errorBody("API rate limit exceeded for user ID 1.", 403, DOCS.rateLimit);
    return { answer: { status: 403, body, charged: false } };
  }
  const repo = deps.repos.get(`${request.owner}/${request.name}`.toLowerCase());
  if (!repo || !deps.apps.canRead(repo, token))
    return { answer: { status: 404, body: errorBody("Not Found", 404, docs), charged: true } };
  return { repo };
}

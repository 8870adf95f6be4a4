import type { FastifyReply, FastifyRequest } from "fastify";
import { hasBearer } from "./auth.js";
import { sendError } from "./errors.js";
import type { RouteContext } from "./options.js";

/** DEFAULT_SYNC_TOKEN_ENV is the variable the sync token comes from when the server is not told another. */
export const DEFAULT_SYNC_TOKEN_ENV = "GITOPS_SYNC_TOKEN";

/**
 * syncTokenProblem says what keeps a request from a write: no sync token configured (`disabled`: the writes are
 * off rather than open), or a missing or wrong bearer token (`unauthorized`); undefined when it carries the token.
 */
export function syncTokenProblem(
  ctx: Pick<RouteContext, "syncToken">,
  request: FastifyRequest,
): "disabled" | "unauthorized" | undefined {
  const token = ctx.syncToken;
  if (!token || token.reveal() === "") return "disabled";
  return hasBearer(request, token) ? undefined : "unauthorized";
}

/**
 * syncGuard asks for the sync token before a write's body is read: 403 when none is configured, 401 for a missing
 * or wrong one. Both name the variable the token comes from, never its value, so the caller knows what to set or to
 * read.
 */
export function syncGuard(ctx: RouteContext, what: string) {
  const variable = ctx.syncTokenEnv ?? DEFAULT_SYNC_TOKEN_ENV;
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const problem = syncTokenProblem(ctx, request);
    if (problem === "disabled") {
      const message = `${what} is disabled: no sync token is configured (set ${variable} in the controller's environment)`;
      return sendError(reply, 403, "forbidden", message);
    }
    if (problem === "unauthorized") {
      reply.header("www-authenticate", 'Bearer realm="simple-gitops"');
      const message = `${what} needs an Authorization: Bearer token, the value of ${variable} in the controller's environment`;
      return sendError(reply, 401, "unauthorized", message);
    }
  };
}

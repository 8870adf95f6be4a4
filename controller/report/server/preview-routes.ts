import type { FastifyInstance, FastifyReply } from "fastify";
import { sendError } from "./errors.js";
import type { RouteContext } from "./options.js";
import { readGuard } from "./status-api.js";
import { isoSeconds } from "./views.js";

/**
 * registerPreviewRoutes adds `GET /v1/gitops/previews` (the open pull requests' previews, each summed up) and
 * `GET /v1/gitops/previews/{repo}/{number}` (one preview whole: every diff, every error), behind the read token.
 */
export function registerPreviewRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const guarded = { onRequest: readGuard(ctx) };
  app.get("/v1/gitops/previews", guarded, async () => {
    const previews = ctx.previews?.list() ?? [];
    return { count: previews.length, previews, timestamp: isoSeconds(ctx.clock()) };
  });
  app.get<{ Params: { repo: string; number: string } }>(
    "/v1/gitops/previews/:repo/:number",
    guarded,
    async (request, reply) => preview(ctx, request.params, reply),
  );
}

function preview(ctx: RouteContext, params: { repo: string; number: string }, reply: FastifyReply): object {
  const number = Number(params.number);
  if (!/^[1-9]\d*$/.test(params.number))
    return sendError(reply, 400, "bad_request", `expected a pull request number, not "${params.number}"`);
  const repo = ctx.config.repos.find((candidate) => candidate.key === params.repo);
  if (repo === undefined) {
    const known = ctx.config.repos.map((candidate) => candidate.key).join(", ");
    return sendError(reply, 404, "not_found", `unknown repository "${params.repo}" (known: ${known})`);
  }
  if (repo.prPreview === undefined)
    return sendError(reply, 404, "not_found", `pull request previews are off for ${repo.key} (pr_preview)`);
  const found = ctx.previews?.get(repo.key, number);
  if (found === undefined)
    return sendError(
      reply,
      404,
      "not_found",
      `no preview of ${repo.key}#${number}: it is not an open pull request into ${repo.branch}, or not previewed yet`,
    );
  return { ...found, timestamp: isoSeconds(ctx.clock()) };
}

import type { FastifyReply } from "fastify";
import { sendError } from "./errors.js";
import type { RouteContext } from "./options.js";
import { type LimitRule, limitMessage, pageAfter, parseLimit } from "./paging.js";
import { isoSeconds, serviceView } from "./views.js";

/**
 * SERVICE_LIMIT bounds one page of `/v1/gitops/services`: a service's entry carries its files, objects and last
 * result, so the whole list of a large install is megabytes (500 services: 2.2 MB before paging).
 */
export const SERVICE_LIMIT: LimitRule = { defaultLimit: 100, maxLimit: 1000 };

/**
 * servicesPage answers `/v1/gitops/services?limit=N&after=NAME`: the configured services after NAME, at most N, and
 * the link to the next page; 400 for a limit out of range or an `after` that names no service.
 */
export function servicesPage(
  ctx: RouteContext,
  query: { limit?: string; after?: string },
  reply: FastifyReply,
): object {
  const { after } = query;
  const limit = parseLimit(query.limit, SERVICE_LIMIT);
  if (limit === undefined) return sendError(reply, 400, "bad_request", limitMessage(SERVICE_LIMIT));
  if (after !== undefined && typeof after !== "string") {
    return sendError(reply, 400, "bad_request", "after must be given once: the last service name of a page");
  }
  const page = pageAfter(ctx.config.services, (s) => s.name, limit, after);
  if (!page) {
    return sendError(
      reply,
      400,
      "bad_request",
      `after must name a configured service (the last one of the previous page); "${after}" is not one`,
    );
  }
  // Only this page's views are built: a small page costs little however many services there are.
  const state = ctx.getState();
  const shards = ctx.shards?.();
  const services = page.items.map((s) => serviceView(ctx.config, s, state, shards));
  const next =
    page.after === undefined
      ? null
      : `/v1/gitops/services?limit=${limit}&after=${encodeURIComponent(page.after)}`;
  return {
    count: services.length,
    total: ctx.config.services.length,
    services,
    next,
    timestamp: isoSeconds(ctx.clock()),
  };
}

import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { hasBearer } from "./auth.js";
import { sendError } from "./errors.js";
import type { RouteContext } from "./options.js";
import { type LimitRule, limitMessage, pageAfter, parseLimit } from "./paging.js";
import { isoSeconds, recentEvents, repoViews, serviceView } from "./views.js";

/** EVENT_LIMIT bounds `/v1/gitops/events?limit=N`; the state keeps no more than 200 events anyway. */
export const EVENT_LIMIT: LimitRule = { defaultLimit: 50, maxLimit: 200 };

/**
 * SERVICE_LIMIT bounds one page of `/v1/gitops/services`: a service's entry carries its files, objects and last
 * result, so the whole list of a large install is megabytes (500 services: 2.2 MB before paging).
 */
export const SERVICE_LIMIT: LimitRule = { defaultLimit: 100, maxLimit: 1000 };

/** registerStatusApi adds the read-only JSON API under `/v1/gitops/`: repos, services and events. */
export function registerStatusApi(app: FastifyInstance, ctx: RouteContext): void {
  const guard = async (request: FastifyRequest, reply: FastifyReply) => {
    if (ctx.readAuthToken && !hasBearer(request, ctx.readAuthToken)) {
      reply.header("www-authenticate", 'Bearer realm="simple-gitops"');
      return sendError(reply, 401, "unauthorized", "this endpoint needs an Authorization: Bearer token");
    }
  };
  const now = () => isoSeconds(ctx.clock());

  app.get("/v1/gitops/repos", { onRequest: guard }, async () => {
    const repos = repoViews(ctx.config, ctx.getState());
    return { count: repos.length, repos, timestamp: now() };
  });

  app.get<{ Querystring: { limit?: string; after?: string } }>(
    "/v1/gitops/services",
    { onRequest: guard },
    async (request, reply) => {
      const { after } = request.query;
      const limit = parseLimit(request.query.limit, SERVICE_LIMIT);
      if (limit === undefined) return sendError(reply, 400, "bad_request", limitMessage(SERVICE_LIMIT));
      if (after !== undefined && typeof after !== "string") {
        return sendError(
          reply,
          400,
          "bad_request",
          "after must be given once: the last service name of a page",
        );
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
      const services = page.items.map((s) => serviceView(ctx.config, s, state));
      const next =
        page.after === undefined
          ? null
          : `/v1/gitops/services?limit=${limit}&after=${encodeURIComponent(page.after)}`;
      return {
        count: services.length,
        total: ctx.config.services.length,
        services,
        next,
        timestamp: now(),
      };
    },
  );

  app.get<{ Params: { name: string } }>(
    "/v1/gitops/services/:name",
    { onRequest: guard },
    async (request, reply) => {
      const service = ctx.config.services.find((s) => s.name === request.params.name);
      if (!service) {
        const known = ctx.config.services.map((s) => s.name).join(", ");
        return sendError(
          reply,
          404,
          "not_found",
          `unknown service "${request.params.name}" (known: ${known})`,
        );
      }
      const state = ctx.getState();
      return {
        ...serviceView(ctx.config, service, state),
        events: recentEvents(state, 20, service.name),
        timestamp: now(),
      };
    },
  );

  app.get<{ Querystring: { limit?: string } }>(
    "/v1/gitops/events",
    { onRequest: guard },
    async (request, reply) => {
      const limit = parseLimit(request.query.limit, EVENT_LIMIT);
      if (limit === undefined) return sendError(reply, 400, "bad_request", limitMessage(EVENT_LIMIT));
      const events = recentEvents(ctx.getState(), limit);
      return { count: events.length, events, timestamp: now() };
    },
  );
}

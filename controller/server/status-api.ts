import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { hasBearer } from "./auth.js";
import { sendError } from "./errors.js";
import type { RouteContext } from "./options.js";
import { isoSeconds, recentEvents, repoViews, serviceView } from "./views.js";

/** DEFAULT_EVENT_LIMIT and MAX_EVENT_LIMIT bound `/v1/gitops/events?limit=N`. */
export const DEFAULT_EVENT_LIMIT = 50;
/** MAX_EVENT_LIMIT is the most events one request returns (the state keeps no more anyway). */
export const MAX_EVENT_LIMIT = 200;

/** parseLimit reads `?limit=`: a whole number from 1 to MAX_EVENT_LIMIT, DEFAULT_EVENT_LIMIT when absent. */
export function parseLimit(raw: unknown): number | undefined {
  if (raw === undefined) return DEFAULT_EVENT_LIMIT;
  if (typeof raw !== "string" || !/^\d{1,4}$/.test(raw)) return undefined;
  const limit = Number(raw);
  return limit >= 1 && limit <= MAX_EVENT_LIMIT ? limit : undefined;
}

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

  app.get("/v1/gitops/services", { onRequest: guard }, async () => {
    const state = ctx.getState();
    const services = ctx.config.services.map((s) => serviceView(ctx.config, s, state));
    return { count: services.length, services, timestamp: now() };
  });

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
      const limit = parseLimit(request.query.limit);
      if (limit === undefined) {
        return sendError(
          reply,
          400,
          "bad_request",
          `limit must be a whole number from 1 to ${MAX_EVENT_LIMIT} (default ${DEFAULT_EVENT_LIMIT})`,
        );
      }
      const events = recentEvents(ctx.getState(), limit);
      return { count: events.length, events, timestamp: now() };
    },
  );
}

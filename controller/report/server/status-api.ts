import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { hasBearer } from "./auth.js";
import { historyView } from "./control-views.js";
import { sendError } from "./errors.js";
import type { RouteContext } from "./options.js";
import { type LimitRule, limitMessage, parseLimit } from "./paging.js";
import { servicesPage } from "./status-services.js";
import { isoSeconds, recentEvents, repoViews, serviceView } from "./views.js";

/** EVENT_LIMIT bounds `/v1/gitops/events?limit=N`; the state keeps no more than 200 events anyway. */
export const EVENT_LIMIT: LimitRule = { defaultLimit: 50, maxLimit: 200 };

/** registerStatusApi adds the read-only JSON API under `/v1/gitops/`: repos, services, their history, and events. */
export function registerStatusApi(app: FastifyInstance, ctx: RouteContext): void {
  const guarded = { onRequest: readGuard(ctx) };
  app.get("/v1/gitops/repos", guarded, async () => {
    const repos = repoViews(ctx.config, ctx.getState());
    return { count: repos.length, repos, timestamp: isoSeconds(ctx.clock()) };
  });
  app.get<{ Querystring: { limit?: string; after?: string } }>(
    "/v1/gitops/services",
    guarded,
    async (request, reply) => servicesPage(ctx, request.query, reply),
  );
  app.get<{ Params: { name: string } }>("/v1/gitops/services/:name", guarded, async (request, reply) =>
    serviceDetail(ctx, request.params.name, reply),
  );
  app.get<{ Params: { name: string } }>(
    "/v1/gitops/services/:name/history",
    guarded,
    async (request, reply) => serviceHistory(ctx, request.params.name, reply),
  );
  app.get("/v1/gitops/shards", guarded, async (_request, reply) => shardsAnswer(ctx, reply));
  app.get<{ Querystring: { limit?: string } }>("/v1/gitops/events", guarded, async (request, reply) => {
    const limit = parseLimit(request.query.limit, EVENT_LIMIT);
    if (limit === undefined) return sendError(reply, 400, "bad_request", limitMessage(EVENT_LIMIT));
    const events = recentEvents(ctx.getState(), limit);
    return { count: events.length, events, timestamp: isoSeconds(ctx.clock()) };
  });
}

/**
 * shardsAnswer answers `/v1/gitops/shards`: the live members, each with the services it owns and its last renewal,
 * as this pod last read them; 404 when the services are not shared out (`sharding` off, or not run in a pod).
 */
function shardsAnswer(ctx: RouteContext, reply: FastifyReply): object {
  const view = ctx.shards?.();
  if (!view) {
    return sendError(
      reply,
      404,
      "not_found",
      "this controller does not share its services out: it shares them in the DaemonSet with state: configmap, unless sharding: false",
    );
  }
  return {
    member: view.identity,
    count: view.members.length,
    members: view.members.map((member) => ({
      member: member.member,
      services: member.services,
      renew_time: member.renewTime ?? "",
    })),
    timestamp: isoSeconds(ctx.clock()),
  };
}

/** readGuard asks for the read token, when one is configured, before any status answer. */
export function readGuard(ctx: RouteContext) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (ctx.readAuthToken && !hasBearer(request, ctx.readAuthToken)) {
      reply.header("www-authenticate", 'Bearer realm="simple-gitops"');
      return sendError(reply, 401, "unauthorized", "this endpoint needs an Authorization: Bearer token");
    }
  };
}

/** serviceDetail answers `/v1/gitops/services/NAME`: the service's view and its last 20 events, 404 if unknown. */
function serviceDetail(ctx: RouteContext, name: string, reply: FastifyReply): object {
  const service = ctx.config.services.find((s) => s.name === name);
  if (!service) return unknownService(ctx, name, reply);
  const state = ctx.getState();
  return {
    ...serviceView(ctx.config, service, state, ctx.shards?.()),
    events: recentEvents(state, 20, service.name),
    timestamp: isoSeconds(ctx.clock()),
  };
}

/**
 * serviceHistory answers `/v1/gitops/services/NAME/history`: the commits whose whole set landed, newest first (at
 * most 50), each a commit a rollback may restore; 404 if the service is unknown.
 */
function serviceHistory(ctx: RouteContext, name: string, reply: FastifyReply): object {
  if (!ctx.config.services.some((s) => s.name === name)) return unknownService(ctx, name, reply);
  const history = (ctx.getState().services[name]?.history ?? []).map(historyView);
  return { service: name, count: history.length, history, timestamp: isoSeconds(ctx.clock()) };
}

function unknownService(ctx: RouteContext, name: string, reply: FastifyReply): FastifyReply {
  const known = ctx.config.services.map((s) => s.name).join(", ");
  return sendError(reply, 404, "not_found", `unknown service "${name}" (known: ${known})`);
}

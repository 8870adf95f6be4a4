import type { FastifyInstance } from "fastify";
import type { Suspension } from "../../record/state/state.js";
import { sendError } from "./errors.js";
import type { RouteContext, SyncRequest } from "./options.js";
import { syncGuard } from "./sync-guard.js";

/**
 * registerManualSync adds `POST /v1/gitops/sync[?service=NAME|?repo=KEY]`. Without a configured token the endpoint
 * is disabled rather than open: a sync is a write, and an unauthenticated one would let anyone hammer the cluster.
 */
export function registerManualSync(app: FastifyInstance, ctx: RouteContext): void {
  app.post<{ Querystring: { service?: string; repo?: string } }>(
    "/v1/gitops/sync",
    // The same guard as the other writes: 403 or 401 naming the variable the token comes from, never its value.
    { onRequest: syncGuard(ctx, "manual sync") },
    async (request, reply) => {
      const { service, repo } = request.query;
      if (service !== undefined && !ctx.config.services.some((s) => s.name === service)) {
        return sendError(reply, 404, "not_found", `unknown service "${service}"`);
      }
      const suspended = service === undefined ? undefined : ctx.getState().services[service]?.suspended;
      if (service !== undefined && suspended) {
        return sendError(reply, 409, "suspended", suspendedMessage(service, suspended));
      }
      if (repo !== undefined && !ctx.config.repos.some((r) => r.key === repo)) {
        return sendError(reply, 404, "not_found", `unknown repo "${repo}"`);
      }
      const syncRequest: SyncRequest = {
        trigger: "manual",
        ...(service !== undefined && { service }),
        ...(repo !== undefined && { repoKey: repo }),
      };
      const answer = ctx.requestSync(syncRequest);
      if (!answer.accepted) {
        return sendError(
          reply,
          503,
          "unavailable",
          `sync not accepted: ${answer.reason ?? "unknown reason"}`,
        );
      }
      ctx.log.info({ service, repo, trigger: "manual" }, "manual sync requested");
      return reply.code(202).send({
        status: "accepted",
        trigger: "manual",
        service: service ?? "",
        repo: repo ?? "",
      });
    },
  );
}

/** suspendedMessage says a service is suspended, by whom, since when and why, and how to let it sync again. */
function suspendedMessage(service: string, suspended: Suspension): string {
  const why = suspended.reason ? `: ${suspended.reason}` : "";
  return (
    `service ${service} is suspended (by ${suspended.by} at ${suspended.at}${why}); nothing is applied to it until ` +
    `it is resumed: POST /v1/gitops/services/${service}/resume`
  );
}

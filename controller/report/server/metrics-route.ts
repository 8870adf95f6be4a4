import type { FastifyInstance } from "fastify";
import type { RouteContext } from "./options.js";

/** registerMetrics adds `/metrics` in the Prometheus text format; open, so a scraper needs no token. */
export function registerMetrics(app: FastifyInstance, ctx: RouteContext): void {
  app.get("/metrics", async (_request, reply) => {
    const body = await ctx.metrics.metrics();
    return reply.type(ctx.metrics.contentType).send(body);
  });
}

import type { FastifyInstance } from "fastify";
import { sendError } from "./errors.js";
import type { RouteContext } from "./options.js";

/** registerHealth adds `/healthz` (the process answers) and `/readyz` (config, state store, first sync). */
export function registerHealth(app: FastifyInstance, ctx: RouteContext): void {
  app.get("/healthz", async () => ({ status: "ok" }));

  app.get("/readyz", async (_request, reply) => {
    const { leader, ...checks } = ctx.readiness();
    const failing = Object.entries(checks)
      .filter(([, ok]) => !ok)
      .map(([name]) => name);
    const extra = leader === undefined ? {} : { leader };
    if (failing.length > 0) {
      return sendError(reply, 503, "not_ready", `not ready: ${failing.join(", ")}`, {
        checks,
        failing,
        ...extra,
      });
    }
    return { status: "ready", checks, ...extra };
  });
}

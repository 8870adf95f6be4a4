import type { FastifyInstance } from "fastify";
import { sendError } from "./errors.js";
import type { RouteContext } from "./options.js";

/**
 * registerHealth adds `/healthz` (the loop is not wedged: the kubelet restarts the pod when it fails) and `/readyz`
 * (config, state store, first sync).
 */
export function registerHealth(app: FastifyInstance, ctx: RouteContext): void {
  app.get("/healthz", async (_request, reply) => {
    const liveness = ctx.liveness?.();
    if (!liveness || liveness.ok) return { status: "ok" };
    const oldest = liveness.inFlight[0];
    const what = oldest ? `; slowest call in flight: ${oldest.call}, for ${oldest.seconds} s` : "";
    return sendError(
      reply,
      503,
      "stuck",
      `no progress for ${liveness.sinceProgressSeconds} s (limit ${liveness.limitSeconds} s)${what}`,
      { liveness },
    );
  });

  app.get("/readyz", async (_request, reply) => {
    const { leader, reasons, ...checks } = ctx.readiness();
    const failing = Object.entries(checks)
      .filter(([, ok]) => !ok)
      .map(([name]) => name);
    const extra = leader === undefined ? {} : { leader };
    if (failing.length > 0) {
      const why = failing.map((name) => (reasons?.[name] ? `${name} (${reasons[name]})` : name));
      return sendError(reply, 503, "not_ready", `not ready: ${why.join(", ")}`, {
        checks,
        failing,
        ...extra,
      });
    }
    return { status: "ready", checks, ...extra };
  });
}

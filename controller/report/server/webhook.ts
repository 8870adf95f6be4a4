import type { FastifyInstance } from "fastify";
import type { RouteContext } from "./options.js";
import { handleDelivery } from "./webhook-delivery.js";
import { createWebhookRoute } from "./webhook-route.js";

/**
 * registerWebhook adds `POST /v1/gitops/webhook/github`. The body is verified as it streams, against every
 * configured secret at once, under a cap on concurrent unverified bodies (and on each client's share of them),
 * their bytes and their pace; nothing in it is parsed, let alone acted on, until a secret verifies the bytes. A
 * delivery id or body seen before is answered as a duplicate, and pushes to one repository ask for at most one
 * poll per poll interval.
 */
export function registerWebhook(app: FastifyInstance, ctx: RouteContext): void {
  const route = createWebhookRoute(ctx);
  app.register(async (scope) => {
    scope.addHook("onClose", async () => route.polls.close());
    // The route reads the raw bytes itself (the signature covers them), so no parser may touch the stream.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", (_request, payload, done) => {
      done(null, payload);
    });
    scope.post("/v1/gitops/webhook/github", async (request, reply) => handleDelivery(route, request, reply));
  });
}

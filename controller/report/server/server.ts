import Fastify, { type FastifyInstance, LogController } from "fastify";
import type { Logger } from "pino";
import { systemTimers } from "../../../common/clock.js";
import { registerServiceControl } from "./control-routes.js";
import { answerError, sendError } from "./errors.js";
import { registerHealth } from "./health.js";
import { registerManualSync } from "./manual-sync.js";
import { registerMetrics } from "./metrics-route.js";
import { DEFAULT_TIMEOUTS, type RouteContext, type ServerOptions, type ServerTimeouts } from "./options.js";
import { registerPreviewRoutes } from "./preview-routes.js";
import { registerReleaseTree } from "./release-tree.js";
import { registerStatusApi } from "./status-api.js";
import { registerStatusPage } from "./status-page.js";
import { registerWebhook } from "./webhook.js";

export type { Readiness, ServerOptions, ServerTimeouts, SyncAnswer, SyncRequest } from "./options.js";

/** GitOpsServer is the built server: the fastify app for tests, and listen/close for the controller. */
export interface GitOpsServer {
  readonly app: FastifyInstance;
  /** listen binds host:port (port 0 picks a free one) and returns the URL it answers on. */
  listen(host: string, port: number): Promise<{ url: string }>;
  close(): Promise<void>;
}

/**
 * createServer builds the one HTTP server of the controller: release tree at `/`, status API under `/v1/gitops/`,
 * the status page at `/ui`, the GitHub webhook, manual sync, `/healthz`, `/readyz` and `/metrics`. It holds no
 * state of its own: every answer is built from `getState()` at request time.
 */
export function createServer(options: ServerOptions): GitOpsServer {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const ctx: RouteContext = {
    ...options,
    clock: options.clock ?? (() => new Date()),
    timers: options.timers ?? systemTimers,
    resolvedTimeouts: timeouts,
  };
  const app = boundedFastify(options.log, timeouts);
  app.setErrorHandler(answerError);
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, "not_found", `no route for ${request.method} ${request.url.split("?")[0]}`),
  );

  registerHealth(app, ctx);
  registerMetrics(app, ctx);
  registerStatusApi(app, ctx);
  registerStatusPage(app, ctx);
  registerManualSync(app, ctx);
  registerServiceControl(app, ctx);
  registerPreviewRoutes(app, ctx);
  registerWebhook(app, ctx);
  // A plugin, so resolving the release root's real path is awaited by fastify before the first request.
  app.register(async (scope) => registerReleaseTree(scope, ctx));

  return {
    app,
    async listen(host, port) {
      await app.listen({ host, port });
      const address = app.server.address();
      const actualPort = typeof address === "object" && address ? address.port : port;
      const shownHost = host.includes(":") ? `[${host}]` : host;
      return { url: `http://${shownHost}:${actualPort}` };
    },
    close: () => app.close(),
  };
}

/** boundedFastify is a fastify app whose every request and socket is bounded by `timeouts`. */
function boundedFastify(log: Logger, timeouts: ServerTimeouts): FastifyInstance {
  return Fastify({
    loggerInstance: log,
    // No request may hold its socket forever: the whole request (a slow or stalled body included) must arrive
    // within requestMs or it is answered 408 and closed; an idle socket is closed after connectionMs.
    requestTimeout: timeouts.requestMs,
    connectionTimeout: timeouts.connectionMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    http: {
      headersTimeout: Math.min(timeouts.headersMs, timeouts.requestMs),
      // Node checks the two limits above on this interval (30 s by default, which would double them).
      connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(timeouts.requestMs / 4))),
    },
    // Probes and scrapers would flood the log; errors are logged by answerError.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
  }) as unknown as FastifyInstance;
}

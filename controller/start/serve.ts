import type { Logger } from "pino";
import { Secret } from "../config/secret.js";
import type { Config } from "../config/types.js";
import type { Controller } from "../loop/controller.js";
import type { ControllerMetrics } from "../report/metrics.js";
import type { SyncRequest } from "../report/server/options.js";
import { createServer, type ServerOptions } from "../report/server/server.js";

/** ServeOptions are what the HTTP server is built from at the process edge. */
export interface ServeOptions {
  readonly config: Config;
  readonly controller: Controller;
  readonly metrics: ControllerMetrics;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly isLeader: () => boolean;
  /** startProblem is why start-up is not done (the state store's last error), for `/readyz`. */
  readonly startProblem?: () => string | undefined;
  readonly liveness?: ServerOptions["liveness"];
  /** previews are the pull request previews, for the status API, the page and `pull_request` webhooks. */
  readonly previews?: ServerOptions["previews"];
  /** shards say how the pods share the services out, with sharding. */
  readonly shards?: ServerOptions["shards"];
  /** passOn tells the other pods of a sync request this one took, with sharding: they sync their services of it. */
  readonly passOn?: (request: SyncRequest) => void;
  readonly log: Logger;
}

/** SYNC_TOKEN_ENV and READ_TOKEN_ENV name the environment variables holding the HTTP API's bearer tokens. */
export const SYNC_TOKEN_ENV = "GITOPS_SYNC_TOKEN";
export const READ_TOKEN_ENV = "GITOPS_READ_TOKEN";

/**
 * startServing builds the one HTTP server (release tree, status API and page, webhook, manual sync, probes,
 * metrics) over the running controller and listens on the configured address.
 */
export async function startServing(options: ServeOptions): Promise<{ url: string; close(): Promise<void> }> {
  const { config, controller, env } = options;
  const secretOf = (name: string) => (env[name] ? new Secret(env[name]) : undefined);
  const syncToken = secretOf(SYNC_TOKEN_ENV);
  const readAuthToken = secretOf(READ_TOKEN_ENV);
  const server = createServer({
    config,
    getState: () => controller.getState(),
    requestSync: (request) => {
      const answer = controller.requestSync(request);
      if (answer.accepted) options.passOn?.(request);
      return answer;
    },
    control: controller,
    readiness: () => {
      const status = controller.status();
      const problem = options.startProblem?.();
      return {
        configLoaded: true,
        stateStoreReachable: status.stateStoreReachable,
        firstSyncStarted: status.firstSyncStarted || !options.isLeader(),
        leader: options.isLeader(),
        ...(problem ? { reasons: { stateStoreReachable: problem } } : {}),
      };
    },
    ...(options.liveness ? { liveness: options.liveness } : {}),
    metrics: options.metrics.registry,
    webhookSecrets: (repoKey) => {
      const repo = config.repos.find((candidate) => candidate.key === repoKey);
      return repo ? env[repo.webhookSecretEnv] : undefined;
    },
    ...(syncToken ? { syncToken } : {}),
    syncTokenEnv: SYNC_TOKEN_ENV,
    ...(readAuthToken ? { readAuthToken } : {}),
    ...(config.releaseDir ? { releaseDir: config.releaseDir } : {}),
    ...(options.previews ? { previews: options.previews } : {}),
    ...(options.shards ? { shards: options.shards } : {}),
    log: options.log.child({ component: "http" }),
  });
  const { url } = await server.listen(config.listen.host, config.listen.port);
  options.log.info({ url, releaseDir: config.releaseDir ?? null }, "HTTP server listening");
  return { url, close: () => server.close() };
}

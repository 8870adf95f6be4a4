import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { Secret } from "../config/secret.js";
import type { Config } from "../config/types.js";
import type { ControllerState } from "../state/state.js";

/** SyncRequest is what the webhook and the manual sync endpoint ask the scheduler for. */
export interface SyncRequest {
  readonly trigger: "webhook" | "manual";
  readonly repoKey?: string;
  readonly service?: string;
}

/** SyncAnswer says whether the scheduler took the request (a coalesced request counts as accepted). */
export interface SyncAnswer {
  readonly accepted: boolean;
  readonly reason?: string;
}

/** Readiness is what `/readyz` checks; `leader` is reported but does not make a follower unready. */
export interface Readiness {
  readonly configLoaded: boolean;
  readonly stateStoreReachable: boolean;
  readonly firstSyncStarted: boolean;
  readonly leader?: boolean;
}

/**
 * ServerOptions are everything the HTTP server needs; it knows nothing of the loop and reads the live state through
 * `getState` on every request.
 */
export interface ServerOptions {
  readonly config: Config;
  readonly getState: () => ControllerState;
  readonly requestSync: (request: SyncRequest) => SyncAnswer;
  readonly readiness: () => Readiness;
  readonly metrics: Registry;
  /** webhookSecrets gives the secret of a repo's webhook (resolved from its `webhook_secret_env` by main). */
  readonly webhookSecrets: (repoKey: string) => string | undefined;
  /** syncToken protects `POST /v1/gitops/sync`; without it the endpoint answers 403. */
  readonly syncToken?: Secret;
  /** readAuthToken, when set, is required as a bearer token by the read-only status API too. */
  readonly readAuthToken?: Secret;
  /** releaseDir is the root of the static release tree served at `/`; without it nothing is served there. */
  readonly releaseDir?: string;
  readonly listDirectories?: boolean;
  /** webhookBodyLimit caps a webhook delivery's size in bytes (1 MiB by default). */
  readonly webhookBodyLimit?: number;
  readonly clock?: () => Date;
  readonly log: Logger;
}

/** RouteContext is what every route group gets: the options with their defaults filled in. */
export interface RouteContext extends ServerOptions {
  readonly clock: () => Date;
}

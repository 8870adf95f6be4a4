import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { Timers } from "../../../common/clock.js";
import type { Secret } from "../../config/secret.js";
import type { Config } from "../../config/types.js";
import type { ServiceControl } from "../../record/service-control.js";
import type { ControllerState } from "../../record/state/state.js";
import type { Previews } from "./previews.js";
import type { ShardsView } from "./views.js";

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

/**
 * Readiness is what `/readyz` checks; `leader` is reported but does not make a follower unready. `reasons` says why
 * a failing check fails, when that is known (the state store's last error at start-up).
 */
export interface Readiness {
  readonly configLoaded: boolean;
  readonly stateStoreReachable: boolean;
  readonly firstSyncStarted: boolean;
  readonly leader?: boolean;
  readonly reasons?: Readonly<Record<string, string>>;
}

/**
 * LivenessReport is what `/healthz` answers from: `ok` false when the loop made no progress for longer than
 * `limitSeconds`, with the calls still in flight, oldest first.
 */
export interface LivenessReport {
  readonly ok: boolean;
  readonly limitSeconds: number;
  readonly sinceProgressSeconds: number;
  readonly inFlight: readonly { readonly call: string; readonly seconds: number }[];
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
  /** liveness says whether the loop is wedged; without it `/healthz` only says the process answers. */
  readonly liveness?: () => LivenessReport;
  readonly metrics: Registry;
  /** webhookSecrets gives the secret of a repo's webhook (resolved from its `webhook_secret_env` by main). */
  readonly webhookSecrets: (repoKey: string) => string | undefined;
  /** syncToken protects `POST /v1/gitops/sync`, suspend, resume and rollback; without it they answer 403. */
  readonly syncToken?: Secret;
  /** syncTokenEnv names the variable the sync token comes from, for 401 and 403 answers (GITOPS_SYNC_TOKEN). */
  readonly syncTokenEnv?: string;
  /** control suspends, resumes and rolls back services (the loop); without it those endpoints answer 503. */
  readonly control?: ServiceControl;
  /** previews are the pull request previews (`pr_preview`); without them none are listed and webhooks ignore pull requests. */
  readonly previews?: Previews;
  /** shards says how the controllers share the services out (`sharding`); without it there is one controller. */
  readonly shards?: () => ShardsView;
  /** readAuthToken, when set, is required as a bearer token by the read-only status API too. */
  readonly readAuthToken?: Secret;
  /** releaseDir is the root of the static release tree served at `/`; without it nothing is served there. */
  readonly releaseDir?: string;
  readonly listDirectories?: boolean;
  /** webhookBodyLimit caps a webhook delivery's size in bytes (1 MiB by default). */
  readonly webhookBodyLimit?: number;
  /** webhookLimits bound what unauthenticated deliveries may hold; see {@link WebhookLimits} for the defaults. */
  readonly webhookLimits?: Partial<WebhookLimits>;
  /** timeouts bound how long a client may take; see {@link ServerTimeouts} for the defaults. */
  readonly timeouts?: Partial<ServerTimeouts>;
  readonly clock?: () => Date;
  /** timers schedule the webhook's body deadlines and coalesced polls; tests pass manual time. */
  readonly timers?: Timers;
  readonly log: Logger;
}

/** RouteContext is what every route group gets: the options with their defaults filled in. */
export interface RouteContext extends ServerOptions {
  readonly clock: () => Date;
  readonly timers: Timers;
  readonly resolvedTimeouts: ServerTimeouts;
}

/** ServerTimeouts bound every connection, so a client that stops sending cannot hold a socket forever. */
export interface ServerTimeouts {
  /** requestMs: headers and body of one request must arrive within this; later, 408 and the socket is closed. */
  readonly requestMs: number;
  /** headersMs: the request headers must arrive within this (at most requestMs). */
  readonly headersMs: number;
  /** connectionMs: a socket with no traffic either way for this long is closed. */
  readonly connectionMs: number;
  /** keepAliveMs: an idle kept-alive socket is closed after this. */
  readonly keepAliveMs: number;
  /** bodyStallMs: a webhook body that sends nothing for this long is answered 408 and its socket closed. */
  readonly bodyStallMs: number;
}

/** DEFAULT_TIMEOUTS: a stalled body is closed within 10 s (webhook) and any request within 30 s. */
export const DEFAULT_TIMEOUTS: ServerTimeouts = {
  requestMs: 30_000,
  headersMs: 15_000,
  connectionMs: 60_000,
  keepAliveMs: 5_000,
  bodyStallMs: 10_000,
};

/** WebhookLimits cap what deliveries not yet verified may cost, whoever sends them, and how often they repeat. */
export interface WebhookLimits {
  /** maxInFlight: bodies being received and verified at once; a newcomer takes the oldest one's slot (it gets 503). */
  readonly maxInFlight: number;
  /** maxInFlightPerAddress: of those, how many one client address (an IPv6 /64) may hold; one more gets 503. */
  readonly maxInFlightPerAddress: number;
  /**
   * maxBufferedBytes: bytes all unverified bodies together may hold; a newcomer that would pass it takes the oldest
   * bodies' bytes, one declaring more than all of it gets 503.
   */
  readonly maxBufferedBytes: number;
  /** bodyGraceMs: time any body has before `minBodyBytesPerSecond` applies. */
  readonly bodyGraceMs: number;
  /** minBodyBytesPerSecond: after the grace, a body slower than this on average is answered 408 and closed. */
  readonly minBodyBytesPerSecond: number;
  /** rememberDeliveries: how many recent `X-GitHub-Delivery` ids and body digests are kept to spot a repeat. */
  readonly rememberDeliveries: number;
  /** replayWindowMs: a verified body seen again within this, whatever its delivery id, is a duplicate. */
  readonly replayWindowMs: number;
}

/**
 * DEFAULT_WEBHOOK_LIMITS: 8 bodies, 2 per address, 4 MiB in all; 2 s plus 64 KiB/s (a 1 MiB body in 18 s; GitHub
 * itself gives up on a delivery after 10 s); the last 1000 deliveries, a body repeated within 10 minutes.
 */
export const DEFAULT_WEBHOOK_LIMITS: WebhookLimits = {
  maxInFlight: 8,
  maxInFlightPerAddress: 2,
  maxBufferedBytes: 4 * 1024 * 1024,
  bodyGraceMs: 2_000,
  minBodyBytesPerSecond: 64 * 1024,
  rememberDeliveries: 1000,
  replayWindowMs: 10 * 60_000,
};

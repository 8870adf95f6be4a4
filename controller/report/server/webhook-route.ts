import { DEFAULT_WEBHOOK_LIMITS, type RouteContext, type WebhookLimits } from "./options.js";
import { WarnThrottle } from "./warn-throttle.js";
import { BodyBudget } from "./webhook-budget.js";
import { coalesceWindowMs, WebhookPolls } from "./webhook-coalesce.js";
import { DeliveryMemory } from "./webhook-replay.js";

/** WEBHOOK_BODY_LIMIT is the default cap on a delivery's size; a push payload is far smaller in practice. */
export const WEBHOOK_BODY_LIMIT = 1024 * 1024;

/** WebhookRoute is what every delivery to the webhook route shares: its limits and what it remembers. */
export interface WebhookRoute {
  readonly ctx: RouteContext;
  readonly bodyLimit: number;
  readonly limits: WebhookLimits;
  /** Unverified bodies in flight, and each client's share of them. */
  readonly budget: BodyBudget;
  /** Deliveries answered lately, by id and by body. */
  readonly memory: DeliveryMemory;
  readonly warns: WarnThrottle;
  readonly polls: WebhookPolls;
  /** The window pushes of one repository are coalesced in. */
  readonly intervalMs: number;
}

/** Payload is what a delivery's JSON is read for; nothing else in it is trusted or used. */
export interface Payload {
  readonly ref?: unknown;
  readonly hook_id?: unknown;
  readonly repository?: { readonly full_name?: unknown };
  /** A `pull_request` delivery's action, number and the branch it merges into. */
  readonly action?: unknown;
  readonly number?: unknown;
  readonly pull_request?: { readonly base?: { readonly ref?: unknown } };
}

/** VerifiedDelivery is a delivery whose body a configured secret verified, and its payload. */
export interface VerifiedDelivery {
  readonly event: string;
  readonly delivery: string;
  readonly payload: Payload;
  readonly body: Buffer;
  /** The secrets the body verified against. */
  readonly secrets: ReadonlySet<string>;
}

/** createWebhookRoute fills in the webhook's limits and makes what its deliveries share. */
export function createWebhookRoute(ctx: RouteContext): WebhookRoute {
  const limits = { ...DEFAULT_WEBHOOK_LIMITS, ...ctx.webhookLimits };
  const now = () => ctx.clock().getTime();
  const intervalMs = coalesceWindowMs(ctx.config.pollIntervalSeconds);
  return {
    ctx,
    bodyLimit: ctx.webhookBodyLimit ?? WEBHOOK_BODY_LIMIT,
    limits,
    budget: new BodyBudget(limits),
    memory: new DeliveryMemory({ remember: limits.rememberDeliveries, windowMs: limits.replayWindowMs, now }),
    warns: new WarnThrottle(now),
    polls: new WebhookPolls({
      intervalMs,
      timers: ctx.timers,
      requestSync: (repoKey) => ctx.requestSync({ trigger: "webhook", repoKey }),
      log: ctx.log,
    }),
    intervalMs,
  };
}

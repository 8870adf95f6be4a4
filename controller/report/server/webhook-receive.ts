import type { FastifyReply, FastifyRequest } from "fastify";
import { sendError } from "./errors.js";
import type { RouteContext, WebhookLimits } from "./options.js";
import { type BodyPace, type BodyRead, readBody } from "./webhook-body.js";
import type { BodyBudget } from "./webhook-budget.js";
import { parseSignature, SignatureVerifier } from "./webhook-signature.js";

/** Received is a delivery's body with the secrets it verified against, or the reply already sent instead. */
export type Received =
  | { readonly body: Buffer; readonly secrets: ReadonlySet<string>; readonly reply?: undefined }
  | { readonly reply: FastifyReply };

/** ReceiveOptions are the webhook route's fixed parts: its limits, its budget and how it refuses. */
export interface ReceiveOptions {
  readonly ctx: RouteContext;
  readonly bodyLimit: number;
  readonly limits: WebhookLimits;
  readonly budget: BodyBudget;
  /** client is who sent the delivery (see clientKey). */
  readonly client: string;
  /** refuse answers the one 401 of every unverified delivery, logging `reason`. */
  readonly refuse: (reason: string) => FastifyReply;
  /** warn logs why a delivery was refused (rate-limited per client by the caller). */
  readonly warn: (fields: Record<string, unknown>, message: string) => void;
}

/**
 * receiveVerified reads a delivery's body under the budget and the pace the limits set, and answers for it when
 * it cannot be read or does not verify against any configured secret. Nothing in the body is looked at here.
 */
export async function receiveVerified(
  request: FastifyRequest,
  reply: FastifyReply,
  options: ReceiveOptions,
): Promise<Received> {
  const { ctx, bodyLimit, budget, client, refuse, warn } = options;
  // Refused before a byte of the body is read: nothing can verify it.
  const signature = parseSignature(header(request.headers["x-hub-signature-256"]));
  if (!signature) return { reply: refuse("no well-formed X-Hub-Signature-256 header") };
  const secrets = configuredSecrets(ctx);
  if (secrets.length === 0) {
    const variables = [...new Set(ctx.config.repos.map((r) => r.webhookSecretEnv))].join(", ");
    return { reply: refuse(`no webhook secret is configured: set ${variables || "webhook_secret_env"}`) };
  }
  const declared = Number(header(request.headers["content-length"]) ?? 0);
  if (declared > bodyLimit) return { reply: tooLarge(reply, bodyLimit) };

  const entry = budget.enter(client, Number.isFinite(declared) ? declared : 0);
  if (entry.refused !== undefined) {
    const held = {
      inFlight: budget.inFlight,
      bufferedBytes: budget.bytes,
      fromClient: budget.heldBy(client),
    };
    warn({ limit: entry.refused, ...held }, "webhook refused: too many unverified deliveries in flight");
    return { reply: busy(reply) };
  }
  const verifier = new SignatureVerifier(secrets);
  const pace = paceOf(options);
  let read: BodyRead;
  try {
    read = await readBody(request.raw, {
      ...pace,
      limit: bodyLimit,
      slot: entry.slot,
      verifier,
      timers: ctx.timers,
    });
  } finally {
    entry.slot.release();
  }
  if (read.kind !== "complete") return { reply: unread(read.kind, pace, request, reply, options) };
  const matched = verifier.matches(signature);
  const verified = new Set(secrets.filter((_, i) => matched[i]));
  if (verified.size === 0)
    return { reply: refuse("X-Hub-Signature-256 does not match any configured secret") };
  return { body: read.body, secrets: verified };
}

/** paceOf is how fast an unverified body must arrive, from the server's timeouts and the webhook's limits. */
function paceOf({ ctx, limits }: ReceiveOptions): BodyPace {
  return {
    stallMs: ctx.resolvedTimeouts.bodyStallMs,
    graceMs: limits.bodyGraceMs,
    minBytesPerSecond: limits.minBodyBytesPerSecond,
  };
}

/** unread answers a body that was not read whole, saying why; a client that went away gets no answer. */
function unread(
  kind: Exclude<BodyRead["kind"], "complete">,
  pace: BodyPace,
  request: FastifyRequest,
  reply: FastifyReply,
  { bodyLimit, warn }: ReceiveOptions,
): FastifyReply {
  switch (kind) {
    case "too_large":
      return tooLarge(reply, bodyLimit);
    case "over_budget":
      return busy(reply);
    case "preempted":
      warn({}, "webhook refused: a newer delivery took its slot");
      return busy(reply);
    case "stalled":
      warn({ stallMs: pace.stallMs }, "webhook refused: the body stalled");
      return timedOut(reply, `no part of the body arrived for ${pace.stallMs} ms`);
    case "too_slow":
      warn({ ...pace }, "webhook refused: the body arrived too slowly");
      return timedOut(
        reply,
        `the body arrived slower than ${pace.minBytesPerSecond} bytes per second after the first ${pace.graceMs} ms`,
      );
    default:
      // The client went away mid-body: there is no one to answer.
      request.raw.socket?.destroy();
      return reply.hijack();
  }
}

/** header reads a request header sent once (the first, if sent several times). */
export function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** closing marks the reply as the last on its connection: the rest of an unread body is not waited for. */
export function closing(reply: FastifyReply): FastifyReply {
  reply.raw.once("finish", () => reply.request.raw.socket?.destroySoon());
  return reply.header("connection", "close");
}

/** configuredSecrets are the distinct non-empty webhook secrets of the tracked repositories. */
function configuredSecrets(ctx: RouteContext): string[] {
  const secrets = ctx.config.repos.map((repo) => ctx.webhookSecrets(repo.key));
  return [...new Set(secrets.filter((s): s is string => typeof s === "string" && s !== ""))];
}

function tooLarge(reply: FastifyReply, limit: number): FastifyReply {
  return sendError(closing(reply), 413, "payload_too_large", `a delivery may be at most ${limit} bytes`);
}

function timedOut(reply: FastifyReply, message: string): FastifyReply {
  return sendError(closing(reply), 408, "request_timeout", message);
}

function busy(reply: FastifyReply): FastifyReply {
  return sendError(
    closing(reply).header("retry-after", "1"),
    503,
    "unavailable",
    "too many webhook deliveries are being received; retry shortly",
  );
}

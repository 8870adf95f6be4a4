import type { FastifyInstance } from "fastify";
import { sendError } from "./errors.js";
import { DEFAULT_WEBHOOK_LIMITS, type RouteContext } from "./options.js";
import { WarnThrottle } from "./warn-throttle.js";
import { BodyBudget, clientKey } from "./webhook-budget.js";
import { coalesceWindowMs, type PollAnswer, WebhookPolls } from "./webhook-coalesce.js";
import { closing, header, receiveVerified } from "./webhook-receive.js";
import { DeliveryMemory } from "./webhook-replay.js";

/** WEBHOOK_BODY_LIMIT is the default cap on a delivery's size; a push payload is far smaller in practice. */
export const WEBHOOK_BODY_LIMIT = 1024 * 1024;

/**
 * UNAUTHORIZED is the one answer to every delivery that is not verified: no signature, a wrong one, no secret
 * configured, an unknown repository. It says nothing about which repositories are watched or how they are set up;
 * the real reason is logged.
 */
export const UNAUTHORIZED = {
  error: "unauthorized",
  message: "X-Hub-Signature-256 is missing or does not match the payload",
} as const;

interface GitHubPayload {
  readonly ref?: unknown;
  readonly hook_id?: unknown;
  readonly repository?: { readonly full_name?: unknown };
}

/** parsePayload reads a delivery sent as `application/json` or as the form field `payload`. */
function parsePayload(body: Buffer, contentType: string | undefined): GitHubPayload | undefined {
  try {
    const text = contentType?.startsWith("application/x-www-form-urlencoded")
      ? new URLSearchParams(body.toString("utf8")).get("payload")
      : body.toString("utf8");
    const value: unknown = text ? JSON.parse(text) : undefined;
    return typeof value === "object" && value !== null ? (value as GitHubPayload) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * registerWebhook adds `POST /v1/gitops/webhook/github`. The body is verified as it streams, against every
 * configured secret at once, under a cap on concurrent unverified bodies (and on each client's share of them),
 * their bytes and their pace; nothing in it is parsed, let alone acted on, until a secret verifies the bytes. A
 * delivery id or body seen before is answered as a duplicate, and pushes to one repository ask for at most one
 * poll per poll interval.
 */
export function registerWebhook(app: FastifyInstance, ctx: RouteContext): void {
  const bodyLimit = ctx.webhookBodyLimit ?? WEBHOOK_BODY_LIMIT;
  const limits = { ...DEFAULT_WEBHOOK_LIMITS, ...ctx.webhookLimits };
  const budget = new BodyBudget(limits);
  const memory = new DeliveryMemory({
    remember: limits.rememberDeliveries,
    windowMs: limits.replayWindowMs,
    now: () => ctx.clock().getTime(),
  });
  const warns = new WarnThrottle(() => ctx.clock().getTime());
  const intervalMs = coalesceWindowMs(ctx.config.pollIntervalSeconds);
  const polls = new WebhookPolls({
    intervalMs,
    timers: ctx.timers,
    requestSync: (repoKey) => ctx.requestSync({ trigger: "webhook", repoKey }),
    log: ctx.log,
  });

  app.register(async (scope) => {
    scope.addHook("onClose", async () => polls.close());
    // The route reads the raw bytes itself (the signature covers them), so no parser may touch the stream.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", (_request, payload, done) => {
      done(null, payload);
    });

    scope.post("/v1/gitops/webhook/github", async (request, reply) => {
      const event = header(request.headers["x-github-event"]) ?? "";
      const delivery = header(request.headers["x-github-delivery"]) ?? "";
      // The socket's own address: a forwarding header is the client's word, and it is not verified yet.
      const client = clientKey(request.raw.socket?.remoteAddress);
      // One line a minute per client and reason: a client repeating a refused delivery cannot flood the log.
      const warn = (fields: Record<string, unknown>, message: string) => {
        const suppressed = warns.admit(`${client} ${message} ${String(fields.reason ?? "")}`);
        if (suppressed !== undefined)
          ctx.log.warn({ delivery, event, client, ...fields, suppressed }, message);
      };
      const refuse = (reason: string, fields: Record<string, unknown> = {}) => {
        warn({ reason, ...fields }, "webhook rejected: signature not verified");
        return sendError(closing(reply), 401, UNAUTHORIZED.error, UNAUTHORIZED.message);
      };
      const received = await receiveVerified(request, reply, {
        ctx,
        bodyLimit,
        limits,
        budget,
        client,
        refuse,
        warn,
      });
      if (received.reply) return received.reply;

      const payload = parsePayload(received.body, header(request.headers["content-type"]));
      if (!payload) return sendError(reply, 400, "bad_request", "the payload is not a JSON object");

      const fullName = typeof payload.repository?.full_name === "string" ? payload.repository.full_name : "";
      const candidates = ctx.config.repos.filter(
        (r) => `${r.owner}/${r.name}`.toLowerCase() === fullName.toLowerCase(),
      );
      const verified = candidates.filter((r) => {
        const secret = ctx.webhookSecrets(r.key);
        return secret !== undefined && received.secrets.has(secret);
      });
      // Signed with a tracked repository's secret, so the sender is ours: it may learn what is not tracked.
      if (candidates.length > 0 && verified.length === 0) {
        return refuse("signed with another repository's secret", { repo: fullName });
      }

      const { repeat, remember } = memory.check(delivery, received.body);
      if (repeat) {
        ctx.log.info({ delivery, event, repo: fullName, repeat }, "webhook duplicate delivery ignored");
        const window = `${Math.round(limits.replayWindowMs / 1000)} s`;
        const why = repeat === "body" ? { reason: `the same body was delivered in the last ${window}` } : {};
        return reply.code(200).send({ status: "duplicate", event, delivery, ...why });
      }
      const answer = (status: number, body: object) => {
        remember();
        return reply.code(status).send(body);
      };
      const ignored = (reason: string) => answer(202, { status: "ignored", event, reason });

      if (candidates.length === 0) return ignored(`repository "${fullName}" is not tracked`);
      if (event === "ping") {
        return answer(200, { status: "pong", repo: fullName, hook_id: payload.hook_id ?? null });
      }
      if (event !== "push") return ignored(`event "${event}" is not handled`);

      const ref = typeof payload.ref === "string" ? payload.ref : "";
      const targets = verified.filter((r) => ref === `refs/heads/${r.branch}`);
      if (targets.length === 0) {
        const branches = unique(verified.map((r) => r.branch));
        return ignored(`ref "${ref}" is not a tracked branch (tracked: ${branches})`);
      }
      const answers = targets.map((r) => ({
        repo_key: r.key,
        ...described(polls.request(r.key), intervalMs),
      }));
      ctx.log.info({ delivery, repo: fullName, ref, answers }, "webhook push: sync requested");
      if (!answers.some((a) => a.accepted)) {
        // Not remembered: GitHub's redelivery of this id should get another chance.
        const reasons = unique(answers.map((a) => a.reason ?? "unknown reason"));
        return sendError(reply, 503, "unavailable", `sync not accepted: ${reasons}`);
      }
      const now = answers.some((a) => a.accepted && !a.coalesced);
      return answer(202, { status: now ? "accepted" : "coalesced", event, repos: answers });
    });
  });
}

/** described adds why a coalesced push waits: a webhook already asked for this repository's poll lately. */
function described(answer: PollAnswer, intervalMs: number): PollAnswer {
  if (!answer.coalesced) return answer;
  const seconds = Math.round(intervalMs / 1000);
  return {
    ...answer,
    reason: `a webhook asked for a poll of this repository less than ${seconds} s ago; one more runs when those ${seconds} s end`,
  };
}

function unique(values: readonly string[]): string {
  return [...new Set(values)].join(", ");
}

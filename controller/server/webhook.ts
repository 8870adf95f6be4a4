import type { FastifyInstance, FastifyReply } from "fastify";
import type { RepoConfig } from "../config/types.js";
import { sendError } from "./errors.js";
import type { RouteContext } from "./options.js";
import { verifySignature } from "./webhook-signature.js";

/** WEBHOOK_BODY_LIMIT is the default cap on a delivery's size; a push payload is far smaller in practice. */
export const WEBHOOK_BODY_LIMIT = 1024 * 1024;

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

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function ignored(reply: FastifyReply, event: string, reason: string): FastifyReply {
  return reply.code(202).send({ status: "ignored", event, reason });
}

/**
 * registerWebhook adds `POST /v1/gitops/webhook/github`. The secret is chosen by the payload's repository, which is
 * read before the signature is checked, but nothing is acted on until a tracked repo's secret verifies the bytes.
 */
export function registerWebhook(app: FastifyInstance, ctx: RouteContext): void {
  const bodyLimit = ctx.webhookBodyLimit ?? WEBHOOK_BODY_LIMIT;
  app.register(async (scope) => {
    // The signature covers the raw bytes, so this scope keeps every body as a Buffer instead of parsing it.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "buffer", bodyLimit }, (_request, body, done) => {
      done(null, body);
    });

    scope.post("/v1/gitops/webhook/github", { bodyLimit }, async (request, reply) => {
      const signature = header(request.headers["x-hub-signature-256"]);
      const event = header(request.headers["x-github-event"]) ?? "";
      const delivery = header(request.headers["x-github-delivery"]) ?? "";
      if (!signature) {
        return sendError(
          reply,
          401,
          "unauthorized",
          "missing X-Hub-Signature-256: set a secret on the webhook",
        );
      }
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const payload = parsePayload(body, header(request.headers["content-type"]));
      if (!payload) return sendError(reply, 400, "bad_request", "the payload is not a JSON object");

      const fullName = typeof payload.repository?.full_name === "string" ? payload.repository.full_name : "";
      const candidates = ctx.config.repos.filter(
        (r) => `${r.owner}/${r.name}`.toLowerCase() === fullName.toLowerCase(),
      );
      if (candidates.length === 0) {
        return ignored(reply, event, `repository "${fullName}" is not tracked`);
      }
      const verified = verifiedRepos(ctx, candidates, body, signature);
      if (verified.length === 0) {
        const unset = candidates.filter((r) => !ctx.webhookSecrets(r.key));
        const message =
          unset.length === candidates.length
            ? `no webhook secret is configured for ${fullName}: set ${unique(unset.map((r) => r.webhookSecretEnv))}`
            : "X-Hub-Signature-256 does not match the payload";
        ctx.log.warn({ delivery, event, repo: fullName }, "webhook rejected: signature not verified");
        return sendError(reply, 401, "unauthorized", message);
      }

      if (event === "ping") {
        return reply.code(200).send({ status: "pong", repo: fullName, hook_id: payload.hook_id ?? null });
      }
      if (event !== "push") return ignored(reply, event, `event "${event}" is not handled`);

      const ref = typeof payload.ref === "string" ? payload.ref : "";
      const targets = verified.filter((r) => ref === `refs/heads/${r.branch}`);
      if (targets.length === 0) {
        const branches = unique(verified.map((r) => r.branch));
        return ignored(reply, event, `ref "${ref}" is not a tracked branch (tracked: ${branches})`);
      }
      const answers = targets.map((r) => ({
        repo_key: r.key,
        ...ctx.requestSync({ trigger: "webhook", repoKey: r.key }),
      }));
      ctx.log.info({ delivery, repo: fullName, ref, answers }, "webhook push: sync requested");
      if (!answers.some((a) => a.accepted)) {
        const reasons = unique(answers.map((a) => a.reason ?? "unknown reason"));
        return sendError(reply, 503, "unavailable", `sync not accepted: ${reasons}`);
      }
      return reply.code(202).send({ status: "accepted", event, repos: answers });
    });
  });
}

function verifiedRepos(
  ctx: RouteContext,
  candidates: readonly RepoConfig[],
  body: Buffer,
  signature: string,
): RepoConfig[] {
  // Every candidate is checked (no early exit) so timing does not tell which repo's secret matched.
  const results = candidates.map((repo) => {
    const secret = ctx.webhookSecrets(repo.key);
    return secret !== undefined && verifySignature(secret, body, signature);
  });
  return candidates.filter((_, i) => results[i]);
}

function unique(values: readonly string[]): string {
  return [...new Set(values)].join(", ");
}

import type { FastifyReply } from "fastify";
import type { RepoConfig } from "../../config/types.js";
import { sendError } from "./errors.js";
import type { PollAnswer } from "./webhook-coalesce.js";
import { answerPullRequest } from "./webhook-pull-request.js";
import type { VerifiedDelivery, WebhookRoute } from "./webhook-route.js";

/** Answer replies to a delivery and remembers it, so a replay of it is answered as a duplicate. */
export type Answer = (status: number, body: object) => FastifyReply;

/**
 * answerVerified answers a verified delivery: refused (through `refuse`) when signed with another repository's
 * secret, a duplicate when its id or body was answered lately, else a pong, a push's sync, a pull request's preview,
 * or ignored.
 */
export function answerVerified(
  route: WebhookRoute,
  verified: VerifiedDelivery,
  reply: FastifyReply,
  refuse: (reason: string, fields: Record<string, unknown>) => FastifyReply,
): FastifyReply {
  const { ctx, limits } = route;
  const { event, delivery, payload } = verified;
  const fullName = typeof payload.repository?.full_name === "string" ? payload.repository.full_name : "";
  const candidates = ctx.config.repos.filter(
    (r) => `${r.owner}/${r.name}`.toLowerCase() === fullName.toLowerCase(),
  );
  const repos = candidates.filter((r) => {
    const secret = ctx.webhookSecrets(r.key);
    return secret !== undefined && verified.secrets.has(secret);
  });
  // Signed with a tracked repository's secret, so the sender is ours: it may learn what is not tracked.
  if (candidates.length > 0 && repos.length === 0) {
    return refuse("signed with another repository's secret", { repo: fullName });
  }

  const { repeat, remember } = route.memory.check(delivery, verified.body);
  if (repeat) {
    ctx.log.info({ delivery, event, repo: fullName, repeat }, "webhook duplicate delivery ignored");
    const window = `${Math.round(limits.replayWindowMs / 1000)} s`;
    const why = repeat === "body" ? { reason: `the same body was delivered in the last ${window}` } : {};
    return reply.code(200).send({ status: "duplicate", event, delivery, ...why });
  }
  const answer: Answer = (status, body) => {
    remember();
    return reply.code(status).send(body);
  };
  const ignored = (reason: string) => answer(202, { status: "ignored", event, reason });

  if (candidates.length === 0) return ignored(`repository "${fullName}" is not tracked`);
  if (event === "ping") {
    return answer(200, { status: "pong", repo: fullName, hook_id: payload.hook_id ?? null });
  }
  if (event === "pull_request") return answerPullRequest(route.ctx, verified, repos, answer);
  if (event !== "push") return ignored(`event "${event}" is not handled`);
  return answerPush(route, { verified, repos, fullName }, reply, answer);
}

/** answerPush asks for a sync of every verified repository tracking the pushed branch. */
function answerPush(
  route: WebhookRoute,
  push: { verified: VerifiedDelivery; repos: readonly RepoConfig[]; fullName: string },
  reply: FastifyReply,
  answer: Answer,
): FastifyReply {
  const { event, delivery, payload } = push.verified;
  const ref = typeof payload.ref === "string" ? payload.ref : "";
  const targets = push.repos.filter((r) => ref === `refs/heads/${r.branch}`);
  if (targets.length === 0) {
    const branches = unique(push.repos.map((r) => r.branch));
    const reason = `ref "${ref}" is not a tracked branch (tracked: ${branches})`;
    return answer(202, { status: "ignored", event, reason });
  }
  const answers = targets.map((r) => ({
    repo_key: r.key,
    ...described(route.polls.request(r.key), route.intervalMs),
  }));
  route.ctx.log.info({ delivery, repo: push.fullName, ref, answers }, "webhook push: sync requested");
  if (!answers.some((a) => a.accepted)) {
    // Not remembered: GitHub's redelivery of this id should get another chance.
    const reasons = unique(answers.map((a) => a.reason ?? "unknown reason"));
    return sendError(reply, 503, "unavailable", `sync not accepted: ${reasons}`);
  }
  const now = answers.some((a) => a.accepted && !a.coalesced);
  return answer(202, { status: now ? "accepted" : "coalesced", event, repos: answers });
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

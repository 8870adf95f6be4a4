import type { FastifyReply } from "fastify";
import type { RepoConfig } from "../../config/types.js";
import type { RouteContext } from "./options.js";
import type { VerifiedDelivery } from "./webhook-route.js";

/** PREVIEWED_ACTIONS are the `pull_request` actions that change what a preview shows, or end it (`closed`). */
export const PREVIEWED_ACTIONS: readonly string[] = ["opened", "synchronize", "reopened", "closed"];

/**
 * answerPullRequest asks for the preview of a pull request into a branch a verified repository watches with
 * `pr_preview` (or drops it when the pull request closed), and answers 202; anything else is ignored, saying why.
 */
export function answerPullRequest(
  ctx: Pick<RouteContext, "previews" | "log">,
  verified: VerifiedDelivery,
  repos: readonly RepoConfig[],
  answer: (status: number, body: object) => FastifyReply,
): FastifyReply {
  const { event, delivery, payload } = verified;
  const action = typeof payload.action === "string" ? payload.action : "";
  const number = typeof payload.number === "number" ? payload.number : undefined;
  const base = payload.pull_request?.base?.ref;
  const ignored = (reason: string) => answer(202, { status: "ignored", event, action, reason });
  if (!PREVIEWED_ACTIONS.includes(action)) return ignored(`action "${action}" changes no preview`);
  const targets = repos.filter((repo) => repo.prPreview !== undefined && repo.branch === base);
  if (number === undefined || typeof base !== "string") return ignored("the payload names no pull request");
  if (targets.length === 0 || ctx.previews === undefined)
    return ignored(`no repository previews pull requests into "${base}" (pr_preview)`);
  const previews = ctx.previews;
  const answers = targets.map((repo) => ({
    repo_key: repo.key,
    ...previews.pullRequest({ repoKey: repo.key, number, action }),
  }));
  ctx.log.info({ delivery, number, action, answers }, "webhook pull_request: preview requested");
  return answer(202, {
    status: action === "closed" ? "dropped" : "accepted",
    event,
    action,
    number,
    repos: answers,
  });
}

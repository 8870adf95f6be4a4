import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ControlRefusal, RollbackOutcome } from "../../record/service-control.js";
import { CONTROL_BODY_LIMIT, readControlBody } from "./control-body.js";
import { rollbackResultView, suspensionView } from "./control-views.js";
import { HttpError, sendError } from "./errors.js";
import type { RouteContext } from "./options.js";
import { syncGuard } from "./sync-guard.js";
import { isoSeconds } from "./views.js";

type ServiceRequest = FastifyRequest<{ Params: { name: string }; Querystring: { wait?: string } }>;

/**
 * registerServiceControl adds `POST /v1/gitops/services/{name}/suspend`, `/resume` and `/rollback`, behind the sync
 * token like a manual sync. The loop decides (ServiceControl); these routes read the request and word its answer.
 */
export function registerServiceControl(app: FastifyInstance, ctx: RouteContext): void {
  const options = {
    onRequest: syncGuard(ctx, "suspend, resume and rollback"),
    bodyLimit: CONTROL_BODY_LIMIT,
  };
  for (const kind of ["suspend", "resume"] as const) {
    app.post(`/v1/gitops/services/:name/${kind}`, options, async (request: ServiceRequest, reply) =>
      suspendRoute(ctx, kind, request, reply),
    );
  }
  app.post("/v1/gitops/services/:name/rollback", options, async (request: ServiceRequest, reply) =>
    rollbackRoute(ctx, request, reply),
  );
}

/**
 * suspendRoute suspends or resumes a service and answers its suspension now (`null` once resumed), whether this
 * request changed it, and for a resume the suspension it ended.
 */
async function suspendRoute(
  ctx: RouteContext,
  kind: "suspend" | "resume",
  request: ServiceRequest,
  reply: FastifyReply,
) {
  const body = readControlBody(request, ["reason", "actor"]);
  const name = request.params.name;
  const asked = { by: body.actor, ...(body.reason ? { reason: body.reason } : {}) };
  const answer = await control(ctx).changeSuspension(kind, name, asked);
  if (!answer.ok) return refused(reply, answer);
  const { changed, suspension } = answer.change;
  ctx.log.info({ service: name, by: body.actor, changed }, `${kind} requested`);
  const shown = suspension ? suspensionView(suspension) : null;
  return {
    service: name,
    changed,
    suspended: kind === "suspend" ? shown : null,
    ...(kind === "resume" ? { previous: shown } : {}),
    timestamp: isoSeconds(ctx.clock()),
  };
}

/**
 * rollbackRoute queues a rollback and answers 202 with where to follow it, or with `?wait=true` waits for it (at
 * most apply_timeout + health_timeout) and answers 200 rolled back, 500 failed, 409 not run, or 202 still running.
 */
async function rollbackRoute(ctx: RouteContext, request: ServiceRequest, reply: FastifyReply) {
  const body = readControlBody(request, ["commit", "reason", "actor"]);
  if (body.commit === undefined)
    throw new HttpError(400, "bad_request", 'body must name the commit to roll back to: {"commit": "<sha>"}');
  if (!/^[0-9a-f]{7,40}$/i.test(body.commit))
    throw new HttpError(
      400,
      "bad_request",
      `commit must be a commit SHA, 7 to 40 hex characters, not "${body.commit}"`,
    );
  const wait = waitRequested(request.query.wait);
  const name = request.params.name;
  const ask = { commit: body.commit, actor: body.actor, ...(body.reason ? { reason: body.reason } : {}) };
  const answer = control(ctx).rollback(name, ask);
  if (!answer.ok) return refused(reply, answer);
  const { commit } = answer;
  const follow = `/v1/gitops/services/${encodeURIComponent(name)}`;
  ctx.log.info({ service: name, commit, by: body.actor, wait }, "rollback requested");
  const accepted = { service: name, commit, follow };
  if (!wait) return reply.code(202).send({ status: "accepted", ...accepted });
  const limitMs = (ctx.config.applyTimeoutSeconds + ctx.config.healthTimeoutSeconds) * 1000;
  // The socket stays quiet while the rollback runs: it may not be closed as idle before the answer.
  request.raw.socket.setTimeout(limitMs + ctx.resolvedTimeouts.connectionMs);
  const outcome = await within(answer.outcome, limitMs, ctx);
  if (outcome === undefined) return reply.code(202).send({ status: "running", ...accepted });
  return answerOutcome(reply, outcome, accepted);
}

function answerOutcome(
  reply: FastifyReply,
  outcome: RollbackOutcome,
  accepted: { service: string; commit: string; follow: string },
) {
  if (outcome.status === "not_run") return sendError(reply, 409, "not_run", outcome.reason, accepted);
  const result = rollbackResultView(outcome.result);
  if (outcome.result.status === "failed") {
    const message = `rollback of ${accepted.service} to ${accepted.commit} failed: ${outcome.result.error?.message ?? "see the service's status"}`;
    return sendError(reply, 500, "rollback_failed", message, { ...accepted, result });
  }
  const suspended = outcome.result.suspended ? suspensionView(outcome.result.suspended) : null;
  return reply.code(200).send({ status: "rolled_back", ...accepted, suspended, result });
}

/** within resolves with what `work` settles to, or undefined once `ms` passed on the server's timers. */
function within<T>(work: Promise<T>, ms: number, ctx: RouteContext): Promise<T | undefined> {
  return new Promise((resolve) => {
    const cancel = ctx.timers.after(() => resolve(undefined), ms);
    void work.then((value) => {
      cancel();
      resolve(value);
    });
  });
}

function waitRequested(value: unknown): boolean {
  if (value === undefined || value === "false") return false;
  if (value === "" || value === "true") return true;
  throw new HttpError(400, "bad_request", `wait must be true or false, not ${JSON.stringify(value)}`);
}

function control(ctx: RouteContext) {
  if (!ctx.control)
    throw new HttpError(
      503,
      "unavailable",
      "this server has no controller loop to suspend, resume or roll back with",
    );
  return ctx.control;
}

const REFUSALS: Readonly<Record<ControlRefusal["code"], [number, string]>> = {
  not_found: [404, "not_found"],
  invalid: [400, "bad_request"],
  not_leader: [503, "unavailable"],
  stopped: [503, "unavailable"],
  conflict: [409, "conflict"],
};

function refused(reply: FastifyReply, refusal: ControlRefusal) {
  const [status, error] = REFUSALS[refusal.code];
  return sendError(reply, status, error, refusal.reason);
}

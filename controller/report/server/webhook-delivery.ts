import type { FastifyReply, FastifyRequest } from "fastify";
import { sendError } from "./errors.js";
import { answerVerified } from "./webhook-answer.js";
import { clientKey } from "./webhook-budget.js";
import { closing, header, receiveVerified } from "./webhook-receive.js";
import type { Payload, VerifiedDelivery, WebhookRoute } from "./webhook-route.js";

/**
 * UNAUTHORIZED is the one answer to every delivery that is not verified: no signature, a wrong one, no secret
 * configured, an unknown repository. It says nothing about which repositories are watched or how they are set up;
 * the real reason is logged.
 */
export const UNAUTHORIZED = {
  error: "unauthorized",
  message: "X-Hub-Signature-256 is missing or does not match the payload",
} as const;

/**
 * handleDelivery answers one delivery: its body is read and verified first ({@link receiveVerified}), and only a
 * verified JSON object is looked at ({@link answerVerified}).
 */
export async function handleDelivery(
  route: WebhookRoute,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const { ctx } = route;
  const event = header(request.headers["x-github-event"]) ?? "";
  const delivery = header(request.headers["x-github-delivery"]) ?? "";
  // The socket's own address: a forwarding header is the client's word, and it is not verified yet.
  const client = clientKey(request.raw.socket?.remoteAddress);
  // One line a minute per client and reason: a client repeating a refused delivery cannot flood the log.
  const warn = (fields: Record<string, unknown>, message: string) => {
    const suppressed = route.warns.admit(`${client} ${message} ${String(fields.reason ?? "")}`);
    if (suppressed !== undefined) ctx.log.warn({ delivery, event, client, ...fields, suppressed }, message);
  };
  const refuse = (reason: string, fields: Record<string, unknown> = {}) => {
    warn({ reason, ...fields }, "webhook rejected: signature not verified");
    return sendError(closing(reply), 401, UNAUTHORIZED.error, UNAUTHORIZED.message);
  };
  const { bodyLimit, limits, budget } = route;
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
  const verified: VerifiedDelivery = {
    event,
    delivery,
    payload,
    body: received.body,
    secrets: received.secrets,
  };
  return answerVerified(route, verified, reply, refuse);
}

/** parsePayload reads a delivery sent as `application/json` or as the form field `payload`. */
function parsePayload(body: Buffer, contentType: string | undefined): Payload | undefined {
  try {
    const text = contentType?.startsWith("application/x-www-form-urlencoded")
      ? new URLSearchParams(body.toString("utf8")).get("payload")
      : body.toString("utf8");
    const value: unknown = text ? JSON.parse(text) : undefined;
    return typeof value === "object" && value !== null ? (value as Payload) : undefined;
  } catch {
    return undefined;
  }
}

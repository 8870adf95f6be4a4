import type { FastifyRequest } from "fastify";
import { HttpError } from "./errors.js";

/** CONTROL_BODY_LIMIT bounds the JSON body of a suspend, resume or rollback: a commit, an actor and a reason. */
export const CONTROL_BODY_LIMIT = 16 * 1024;

/** ACTOR_HEADER names who asks, as a CLI or a chat bot in front of the API says it. */
export const ACTOR_HEADER = "x-simple-gitops-actor";

const MAX_ACTOR = 100;
const MAX_REASON = 500;

/** ControlBody is a suspend, resume or rollback request as read: who asks, why, and for a rollback which commit. */
export interface ControlBody {
  readonly actor: string;
  readonly reason?: string;
  readonly commit?: string;
}

/**
 * readControlBody reads who asks (the `X-Simple-Gitops-Actor` header, else the body's `actor`, else `api`) and the
 * optional JSON body `{reason, actor, commit}` (`commit` only where `keys` allows it). Anything else is a 400 naming
 * the field.
 */
export function readControlBody(request: FastifyRequest, keys: readonly string[]): ControlBody {
  const body = (request.body ?? {}) as unknown;
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new HttpError(400, "bad_request", `body must be a JSON object with ${known(keys)}`);
  const fields = body as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!keys.includes(key))
      throw new HttpError(400, "bad_request", `body: unknown key "${key}" (known: ${keys.join(", ")})`);
  }
  const header = request.headers[ACTOR_HEADER];
  const actor = text(
    typeof header === "string" ? header : fields.actor,
    typeof header === "string" ? ACTOR_HEADER : "actor",
    MAX_ACTOR,
  );
  const reason = text(fields.reason, "reason", MAX_REASON);
  const commit = text(fields.commit, "commit", 40);
  return {
    actor: actor ?? "api",
    ...(reason ? { reason } : {}),
    ...(commit ? { commit } : {}),
  };
}

/** text reads an optional one-line text field, at most `max` characters, naming the field when it is not one. */
function text(value: unknown, field: string, max: number): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string")
    throw new HttpError(
      400,
      "bad_request",
      `${field} must be a string, not ${Array.isArray(value) ? "an array" : typeof value}`,
    );
  const trimmed = value.trim();
  // Control characters would forge lines in logs and in the audit trail's readers.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused.
  if (/[\u0000-\u001f\u007f]/.test(trimmed))
    throw new HttpError(400, "bad_request", `${field} must be one line of text`);
  if (trimmed.length > max)
    throw new HttpError(400, "bad_request", `${field} is ${trimmed.length} characters, over ${max}`);
  return trimmed === "" ? undefined : trimmed;
}

function known(keys: readonly string[]): string {
  return keys.map((key) => `"${key}"`).join(", ");
}

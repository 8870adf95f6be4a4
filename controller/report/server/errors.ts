import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { GitOpsError } from "../../../common/errors.js";

/** ErrorBody is the JSON every error response carries: a stable machine code and a sentence for people. */
export interface ErrorBody {
  readonly error: string;
  readonly message: string;
}

/** HttpError is an error a route throws on purpose; the server turns it into `{error, message}` with `status`. */
export class HttpError extends GitOpsError {
  readonly code = "E_HTTP";
  readonly status: number;
  readonly error: string;
  readonly extra?: Readonly<Record<string, unknown>>;

  constructor(status: number, error: string, message: string, extra?: Readonly<Record<string, unknown>>) {
    super(message);
    this.status = status;
    this.error = error;
    if (extra) this.extra = extra;
  }
}

/** sendError replies with the JSON error body; `extra` fields are added beside `error` and `message`. */
export function sendError(
  reply: FastifyReply,
  status: number,
  error: string,
  message: string,
  extra?: Readonly<Record<string, unknown>>,
): FastifyReply {
  return reply
    .code(status)
    .type("application/json; charset=utf-8")
    .send({ error, message, ...extra });
}

const CODES: Readonly<Record<number, string>> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  406: "not_acceptable",
  412: "precondition_failed",
  413: "payload_too_large",
  415: "unsupported_media_type",
  416: "range_not_satisfiable",
  500: "internal",
  503: "unavailable",
};

/** errorCodeFor names an HTTP status the way our error bodies do (`payload_too_large` for 413). */
export function errorCodeFor(status: number): string {
  return CODES[status] ?? (status >= 500 ? "internal" : "bad_request");
}

/**
 * answerError is the server's error handler: an HttpError as its route meant it, a client error with its message,
 * and anything else as a logged 500 whose body says only where to look.
 */
export function answerError(error: FastifyError | HttpError, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof HttpError)
    return sendError(reply, error.status, error.error, error.message, error.extra);
  const status = typeof error.statusCode === "number" && error.statusCode >= 400 ? error.statusCode : 500;
  if (status >= 500) {
    request.log.error(
      { err: error, method: request.method, url: request.routeOptions.url },
      "request failed",
    );
    return sendError(reply, status, errorCodeFor(status), "internal error; see the controller log");
  }
  return sendError(reply, status, errorCodeFor(status), error.message);
}

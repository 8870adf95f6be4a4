import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyRequest } from "fastify";
import type { Secret } from "../../config/secret.js";

/**
 * safeEqual compares two strings in time that depends on neither's content. Both sides are hashed first because
 * `timingSafeEqual` needs equal lengths, and comparing lengths first would leak the secret's length.
 */
export function safeEqual(a: string, b: string): boolean {
  const left = createHash("sha256").update(a).digest();
  const right = createHash("sha256").update(b).digest();
  return timingSafeEqual(left, right);
}

/**
 * TOKEN_HEADER carries the API token where `Authorization` cannot: the apiserver's service proxy
 * (`/api/v1/namespaces/NS/services/NAME:PORT/proxy/...`) authenticates the caller with that header and drops it, and
 * passes other headers on.
 */
export const TOKEN_HEADER = "x-simple-gitops-token";

/**
 * bearerToken is the token of an `Authorization: Bearer <token>` header, else of {@link TOKEN_HEADER}, or undefined
 * when there is neither.
 */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== "string") {
    const token = request.headers[TOKEN_HEADER];
    return typeof token === "string" && /^\S+$/.test(token) ? token : undefined;
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** hasBearer is true when the request carries exactly the expected bearer token (compared in constant time). */
export function hasBearer(request: FastifyRequest, expected: Secret): boolean {
  const token = bearerToken(request);
  // Still compare against something when the header is missing, so both paths take the same time.
  return safeEqual(token ?? "", expected.reveal()) && token !== undefined;
}

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

/** bearerToken is the token of an `Authorization: Bearer <token>` header, or undefined when there is none. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== "string") return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** hasBearer is true when the request carries exactly the expected bearer token (compared in constant time). */
export function hasBearer(request: FastifyRequest, expected: Secret): boolean {
  const token = bearerToken(request);
  // Still compare against something when the header is missing, so both paths take the same time.
  return safeEqual(token ?? "", expected.reveal()) && token !== undefined;
}

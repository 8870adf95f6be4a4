import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { RouteAnswer } from "./app-auth.js";

/**
 * conditionalAnswer is a GET answered as GitHub answers it: a weak ETag over the body and the token (GitHub's
 * ETag varies with Authorization, `Vary: Authorization`), and a 304 GitHub does not charge when If-None-Match
 * names it (https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#use-conditional-requests-if-appropriate).
 */
export function conditionalAnswer(
  req: IncomingMessage,
  token: string | undefined,
  body: unknown,
  headers: Record<string, string> = {},
): RouteAnswer {
  const etag = `W/"${createHash("sha256")
    .update(JSON.stringify(body))
    .update(token ?? "")
    .digest("hex")}"`;
  const cacheHeaders = {
    etag,
    "cache-control": "private, max-age=60, s-maxage=60",
    vary: "Accept, Authorization",
  };
  if (etagMatches(req.headers["if-none-match"], etag))
    return { status: 304, headers: cacheHeaders, charged: false };
  return { status: 200, body, headers: { ...cacheHeaders, ...headers }, charged: true };
}

function etagMatches(header: string | string[] | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const weak = (value: string) => value.trim().replace(/^W\//, "");
  return [header]
    .flat()
    .flatMap((value) => value.split(","))
    .some((value) => value.trim() === "*" || weak(value) === weak(etag));
}

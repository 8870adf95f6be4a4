import { createHash } from "node:crypto";
import type { FastifyInstance } from "fastify";
import type { RouteContext } from "./options.js";
import { STATUS_PAGE_SCRIPT, STATUS_PAGE_STYLE, statusPageHtml } from "./status-page-html.js";

function sha256(text: string): string {
  return `'sha256-${createHash("sha256").update(text).digest("base64")}'`;
}

/**
 * STATUS_PAGE_CSP allows exactly the page's own inline script and style (by hash) and requests to this origin,
 * so even a state value that slipped past escaping could not run script.
 */
export const STATUS_PAGE_CSP = [
  "default-src 'none'",
  `script-src ${sha256(STATUS_PAGE_SCRIPT)}`,
  `style-src ${sha256(STATUS_PAGE_STYLE)}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** registerStatusPage serves the status page at `/ui`; it carries no data, so it is open even with a read token. */
export function registerStatusPage(app: FastifyInstance, _ctx: RouteContext, refreshMs = 5000): void {
  const html = statusPageHtml(refreshMs);
  app.get("/ui", async (_request, reply) =>
    reply
      .type("text/html; charset=utf-8")
      .header("content-security-policy", STATUS_PAGE_CSP)
      .header("x-content-type-options", "nosniff")
      // The page's URL may carry a token someone pasted; no request it makes should send it elsewhere.
      .header("referrer-policy", "no-referrer")
      .header("cache-control", "no-cache")
      .send(html),
  );
}

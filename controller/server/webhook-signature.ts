import { createHmac, timingSafeEqual } from "node:crypto";

/** signBody is the `X-Hub-Signature-256` value GitHub sends for a body: `sha256=` and the HMAC-SHA256 in hex. */
export function signBody(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/**
 * verifySignature checks an `X-Hub-Signature-256` header against the raw body, in constant time. It must see the
 * bytes exactly as received: re-serialised JSON would not match.
 * https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
 */
export function verifySignature(secret: string, body: Buffer, header: string | undefined): boolean {
  if (secret === "" || header === undefined) return false;
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (!match?.[1]) return false;
  const expected = createHmac("sha256", secret).update(body).digest();
  return timingSafeEqual(expected, Buffer.from(match[1], "hex"));
}

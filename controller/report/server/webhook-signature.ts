import { createHmac, type Hmac, timingSafeEqual } from "node:crypto";

/** signBody is the `X-Hub-Signature-256` value GitHub sends for a body: `sha256=` and the HMAC-SHA256 in hex. */
export function signBody(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** parseSignature reads an `X-Hub-Signature-256` header into the 32 bytes it claims, or undefined if malformed. */
export function parseSignature(header: string | undefined): Buffer | undefined {
  const match = header === undefined ? null : /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  return match?.[1] ? Buffer.from(match[1], "hex") : undefined;
}

/**
 * SignatureVerifier computes the HMAC of a body under several secrets at once as its chunks arrive, so a delivery
 * is verified as it streams and the secret it matches need not be known before it is read.
 */
export class SignatureVerifier {
  readonly #hmacs: Hmac[];

  constructor(readonly secrets: readonly string[]) {
    this.#hmacs = secrets.map((secret) => createHmac("sha256", secret));
  }

  update(chunk: Buffer): void {
    for (const hmac of this.#hmacs) hmac.update(chunk);
  }

  /** matches says, per secret, whether the body read so far carries `signature`; each compare is constant-time. */
  matches(signature: Buffer): boolean[] {
    // Every secret is compared (no early exit), so timing does not tell which one matched.
    return this.#hmacs.map((hmac, i) => this.secrets[i] !== "" && timingSafeEqual(hmac.digest(), signature));
  }
}

/**
 * verifySignature checks an `X-Hub-Signature-256` header against the raw body, in constant time. It must see the
 * bytes exactly as received: re-serialised JSON would not match.
 * https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
 */
export function verifySignature(secret: string, body: Buffer, header: string | undefined): boolean {
  const signature = parseSignature(header);
  if (secret === "" || signature === undefined) return false;
  const verifier = new SignatureVerifier([secret]);
  verifier.update(body);
  return verifier.matches(signature)[0] === true;
}

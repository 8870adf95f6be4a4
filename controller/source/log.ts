import { redactUrlsIn } from "../../common/redact-url.js";

/** LogFn is one pino-style level: an optional object of fields, then a message. */
export type LogFn = (fieldsOrMessage: unknown, message?: string) => void;

/** SourceLogger is the pino-compatible subset a source logs through. */
export interface SourceLogger {
  readonly debug: LogFn;
  readonly info: LogFn;
  readonly warn: LogFn;
  readonly error: LogFn;
}

/**
 * scrubSecrets replaces every occurrence of each secret in a text with `[REDACTED]`, and strips the userinfo and
 * query values of every URL in it (an `api_url` of `https://user:pass@host` must not reach a log or a status).
 */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = redactUrlsIn(text);
  for (const secret of secrets) {
    // A short "secret" would shred ordinary words; GitHub tokens are 40+ characters.
    if (secret.length >= 6) out = out.split(secret).join("[REDACTED]");
  }
  return out;
}

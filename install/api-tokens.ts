import { READ_TOKEN_KEY, SYNC_TOKEN_KEY } from "./options.js";
import type { SecretLookup } from "./split-secrets.js";

/** TokenOrigin says where the sync token of an install came from. */
export type TokenOrigin = "given" | "kept" | "generated";

/** ApiTokens are the HTTP API's bearer tokens for the install's Secret, and where the sync token came from. */
export interface ApiTokens {
  readonly secretData: Record<string, string>;
  readonly syncToken: TokenOrigin;
}

/**
 * apiTokens picks the HTTP API's tokens for the install's Secret: each from this shell's environment, else from the
 * installed Secret, so that running apply-gitops again never rotates a token someone already uses. The sync token
 * is generated when neither has one, so manual syncs work from the first install; the read token is never made up:
 * without it the read-only API stays open, as the controller documents.
 */
export function apiTokens(lookup: SecretLookup, generate: () => string): ApiTokens {
  const given = lookup.env(SYNC_TOKEN_KEY);
  const kept = lookup.installed?.(SYNC_TOKEN_KEY);
  const read = lookup.env(READ_TOKEN_KEY) || lookup.installed?.(READ_TOKEN_KEY);
  return {
    secretData: {
      [SYNC_TOKEN_KEY]: given || kept || generate(),
      ...(read ? { [READ_TOKEN_KEY]: read } : {}),
    },
    syncToken: given ? "given" : kept ? "kept" : "generated",
  };
}

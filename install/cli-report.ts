import type { TokenOrigin } from "./api-tokens.js";
import { SECRET_NAME, SYNC_TOKEN_KEY } from "./options.js";
import type { MissingCredential } from "./split-secrets.js";

const notFound = (missing: MissingCredential) =>
  `${missing.source} ${missing.source.startsWith("file ") ? "is missing or empty" : "is not set"}`;

/**
 * missingCredentialsReport says which credentials the installed controller could not start without, each with the
 * config field that names it and the variable or file, and that nothing was printed or applied.
 */
export function missingCredentialsReport(required: readonly MissingCredential[]): string {
  const lines = required.map((missing) => `  ${missing.field}: ${notFound(missing)}\n`);
  return (
    `apply-gitops: ${required.length} credential${required.length === 1 ? "" : "s"} the config refers to ` +
    `${required.length === 1 ? "is" : "are"} missing; the installed controller would stop at start-up without ` +
    `${required.length === 1 ? "it" : "them"}. Nothing was printed or applied.\n${lines.join("")}` +
    `Set ${required.length === 1 ? "it" : "each"} in this shell and run again (a value already in Secret ` +
    `${SECRET_NAME} is kept when apply-gitops can read it).\n`
  );
}

/**
 * credentialWarnings say which optional credentials are missing and what does not work without them, and which
 * keys were kept from the installed Secret (names only).
 */
export function credentialWarnings(missing: readonly MissingCredential[], kept: readonly string[]): string[] {
  const optional = missing.flatMap((entry) =>
    entry.without === undefined
      ? []
      : [
          `${entry.field}: ${notFound(entry)}: ${entry.without} until ${entry.key} is in Secret ${SECRET_NAME}`,
        ],
  );
  return kept.length > 0
    ? [...optional, `not set here, kept from the installed Secret ${SECRET_NAME}: ${kept.join(", ")}`]
    : optional;
}

/** syncTokenNote says where the sync token came from and how to read it back from the Secret. */
export function syncTokenNote(origin: TokenOrigin, namespace: string): string {
  const where = {
    given: `${SYNC_TOKEN_KEY} from this shell`,
    kept: `the sync token already installed`,
    generated: "a new, random sync token",
  }[origin];
  return (
    `the Secret holds ${where} (${SYNC_TOKEN_KEY}); read it with: kubectl -n ${namespace} get secret ` +
    `${SECRET_NAME} -o jsonpath='{.data.${SYNC_TOKEN_KEY}}' | base64 -d`
  );
}

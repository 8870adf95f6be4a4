import type { ConfigIssue } from "./config-error.js";
import { Secret, type SecretRef } from "./secret.js";

/**
 * secretRef reads where one credential comes from (inline, an environment variable or a file), at most one of
 * them; `names` are the keys as the user writes them, for the error.
 */
export function secretRef(
  path: string,
  fields: { inline?: string | undefined; env?: string | undefined; file?: string | undefined },
  names: { inline: string; env: string; file: string },
  issues: ConfigIssue[],
): SecretRef | undefined {
  const given = [
    fields.inline !== undefined && names.inline,
    fields.env !== undefined && names.env,
    fields.file !== undefined && names.file,
  ].filter((name): name is string => typeof name === "string");
  if (given.length > 1) {
    issues.push({ path, message: `expected at most one of ${given.join(", ")}` });
    return undefined;
  }
  if (fields.inline !== undefined) return { from: "inline", name: "", value: new Secret(fields.inline) };
  if (fields.env !== undefined) return { from: "env", name: fields.env };
  if (fields.file !== undefined) return { from: "file", name: fields.file };
  return undefined;
}

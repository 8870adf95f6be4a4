import type { z } from "zod";
import { type ConfigIssue, formatPath } from "./config-error.js";

/**
 * toConfigIssues turns zod's issues into messages that say what was expected at which path, listing the known keys
 * when a key is unknown so a typo is obvious. Values are never echoed: the field could hold a token.
 */
export function toConfigIssues(
  issues: readonly z.core.$ZodIssue[],
  knownKeysAt: (path: readonly PropertyKey[]) => readonly string[],
  prefix: readonly PropertyKey[] = [],
): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === "unrecognized_keys") {
      const known = knownKeysAt(path).join(", ");
      for (const key of issue.keys) {
        out.push({ path: formatPath(path), message: `unknown key "${key}" (known: ${known})` });
      }
    } else if (issue.code === "invalid_type") {
      const missing = issue.message.endsWith("received undefined");
      const expected =
        issue.expected === "object"
          ? "a mapping"
          : issue.expected === "array"
            ? "a list"
            : `a ${issue.expected}`;
      out.push({
        path: formatPath(path),
        message: missing ? `required: expected ${expected}` : `expected ${expected}`,
      });
    } else {
      out.push({ path: formatPath(path), message: issue.message.replace(/^Invalid (?:input|option): /, "") });
    }
  }
  return out;
}

import yaml from "js-yaml";
import type { ConfigIssue } from "./config-error.js";

/**
 * parseConfigYaml reads the config text as YAML; a syntax error becomes one issue that points at the line and
 * column (1-based, as editors count) instead of a stack trace.
 */
export function parseConfigYaml(text: string): { value: unknown } | { issue: ConfigIssue } {
  try {
    // JSON_SCHEMA: a config value such as `branch: 1.0` or `token: 0123` must stay what the user typed, not
    // become a float or an octal number the way YAML 1.1 core types would read it.
    return { value: yaml.load(text, { schema: yaml.JSON_SCHEMA }) };
  } catch (error: unknown) {
    if (error instanceof yaml.YAMLException) {
      const where = error.mark
        ? `line ${error.mark.line + 1}, column ${error.mark.column + 1}`
        : "unknown position";
      return { issue: { path: "(yaml)", message: `YAML syntax error at ${where}: ${error.reason}` } };
    }
    throw error;
  }
}

import yaml from "js-yaml";
import { usageError } from "./cli-error.js";
import { type Flags, stringFlag } from "./command.js";

/** OutputFormat is how a verb prints: a kubectl-style table, or the API's answer as JSON or YAML. */
export type OutputFormat = "table" | "json" | "yaml";

/** outputFormat reads `-o`/`--output`; anything but json or yaml is a usage error. */
export function outputFormat(flags: Flags, verb: string): OutputFormat {
  const value = stringFlag(flags, "output");
  if (value === undefined) return "table";
  if (value === "json" || value === "yaml") return value;
  throw usageError(`--output must be json or yaml (or left out for a table), not "${value}"`, verb);
}

/** render prints a value as the format asks: indented JSON, or one YAML document. */
export function render(value: unknown, format: "json" | "yaml"): string {
  if (format === "json") return `${JSON.stringify(value, null, 2)}\n`;
  return yaml.dump(value, { noRefs: true, lineWidth: -1 });
}

/**
 * printAs prints `answer` as JSON or YAML when the format asks for it and returns true; for a table it prints
 * nothing and returns false, so the verb prints its own.
 */
export function printAs(format: OutputFormat, answer: unknown, stdout: (text: string) => void): boolean {
  if (format === "table") return false;
  stdout(render(answer, format));
  return true;
}

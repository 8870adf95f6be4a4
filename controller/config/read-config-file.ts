import { readFileSync } from "node:fs";
import { ConfigError } from "./config-error.js";
import { parseConfig } from "./load.js";
import { parseConfigYaml } from "./parse-yaml.js";
import type { Config } from "./types.js";

/** LoadedConfigFile is a parsed config and the raw YAML it came from (the installer republishes the latter). */
export interface LoadedConfigFile {
  readonly config: Config;
  readonly raw: Record<string, unknown>;
}

/**
 * readConfigFile reads and validates a config file; an unreadable file is a ConfigError like any other, so both
 * CLIs report it the same way and exit 2.
 */
export function readConfigFile(
  path: string,
  read: (path: string) => string = (p) => readFileSync(p, "utf8"),
): LoadedConfigFile {
  let text: string;
  try {
    text = read(path);
  } catch (error: unknown) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfigError(path, [{ path: "(file)", message: `cannot read the config file (${reason})` }]);
  }
  const config = parseConfig(text, path);
  const parsed = parseConfigYaml(text);
  return { config, raw: "value" in parsed ? (parsed.value as Record<string, unknown>) : {} };
}

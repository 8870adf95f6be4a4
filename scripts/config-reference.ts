import { fileURLToPath } from "node:url";
import type { z } from "zod";
import { ConfigError } from "../controller/config/config-error.js";
import { DURATION_BOUNDS, formatDuration } from "../controller/config/duration.js";
import { parseConfig } from "../controller/config/load.js";
import { rawConfigSchema } from "../controller/config/schema.js";
import { type ConfigKey, configKeys } from "./config-keys.js";

/** CONFIG_REFERENCE_PATH is the committed configuration reference. */
export const CONFIG_REFERENCE_PATH = fileURLToPath(new URL("../docs/configuration.md", import.meta.url));
/** EXAMPLE_CONFIG_PATH is the commented example the reference introduces. */
export const EXAMPLE_CONFIG_PATH = fileURLToPath(new URL("../gitops-config.example.yaml", import.meta.url));
/** REGENERATE is the command that rewrites the reference. */
export const REGENERATE = "npm run docs:config";

// One mistake per kind the reader meets first: a duration over its range, a bad label, a duration under its range.
const BROKEN_CONFIG = `github_configs:
  apps: {repo_owner: example-org, repo_name: gitops-apps}
services:
  - {name: web, github: apps, k8s_yaml_dir: web, reconcile_interval: 1000h}
  - {name: api, github: apps, k8s_yaml_dir: api, namespace: Team_B}
poll_interval: 1ms
`;

const cell = (text: string) => text.replaceAll("|", "\\|");
const row = (key: ConfigKey) =>
  `| \`${key.path}\` | ${cell(key.type)} | ${cell(key.default)} | ${cell(key.meaning)} |`;

function table(schema: z.ZodType): string {
  const { keys, undocumented } = configKeys(schema);
  if (undocumented.length > 0) {
    throw new Error(
      "config keys without documentation: add .meta({ description, ... }) beside each in " +
        `controller/config/schema.ts:\n  ${undocumented.join("\n  ")}`,
    );
  }
  return ["| key | type | default | meaning |", "|---|---|---|---|", ...keys.map(row)].join("\n");
}

function intro(exampleConfig: string): string {
  const example = parseConfig(exampleConfig, "gitops-config.example.yaml");
  return `The seed's format is accepted unchanged; every extension has a safe default.
[\`gitops-config.example.yaml\`](../gitops-config.example.yaml) is a commented, complete example
(${example.repos.length} repositories, ${example.services.length} services) and is loaded by a test.

A key path joins mapping keys with \`.\`; \`*\` stands for any name of a map, \`[]\` for any entry of a list.`;
}

function durations(): string {
  const bounds = Object.values(DURATION_BOUNDS);
  const min = formatDuration(Math.min(...bounds.map((b) => b.min)));
  const max = formatDuration(Math.max(...bounds.map((b) => b.max)));
  return `A duration is a number of seconds or a string of parts with the units \`ms\`, \`s\`, \`m\` and \`h\`
(\`"1h30m"\`, \`"1.5s"\`, \`"1500ms"\`). Each has the range its row shows, at least \`${min}\` (a shorter poll or
reconcile is a busy loop against GitHub or the apiserver, a shorter timeout fails every call) and at most \`${max}\` (a
longer interval leaves a missed change or a drift in place for days; a call still running after a day is hung).
Node's timers cannot hold more than 24.8 days and fire such a timer at once, so no longer value reaches them.`;
}

function errorExample(): string {
  let message = "";
  try {
    parseConfig(BROKEN_CONFIG);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    message = error.message;
  }
  if (message === "") throw new Error("the broken example config was accepted");
  return `Every mistake is reported at once, each with its path and what was expected, and the process exits with status 2
before anything is applied. This \`gitops-config.yaml\`:

\`\`\`yaml
${BROKEN_CONFIG}\`\`\`

is refused with:

\`\`\`text
${message}
\`\`\``;
}

/**
 * configReference renders docs/configuration.md: the introduction, one table row per key of the schema (each
 * documented beside its schema in controller/config/schema.ts), the durations and a real config error. It throws
 * when a key has no documentation, so none can be added without.
 */
export function configReference(exampleConfig: string, schema: z.ZodType = rawConfigSchema): string {
  return `<!-- Generated from controller/config/schema.ts by \`${REGENERATE}\`: edit the schema's .meta(), not this file. -->

# Configuration reference

${intro(exampleConfig)}

${table(schema)}

${durations()}

${errorExample()}
`;
}

#!/usr/bin/env -S npx tsx
/**
 * Regenerates docs/configuration.md from the config schema's documentation (controller/config/schema.ts). A test
 * fails when the two drift.
 * Usage: npm run docs:config [-- --check]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import {
  CONFIG_REFERENCE_PATH,
  configReference,
  EXAMPLE_CONFIG_PATH,
  REGENERATE,
} from "./config-reference.js";

if (process.argv.includes("--help") || process.argv.includes("-h")) {
  process.stdout.write(
    `Usage: ${REGENERATE} [-- --check]\n  --check  exit 1 if docs/configuration.md is out of date\n`,
  );
  process.exit(0);
}
const expected = configReference(readFileSync(EXAMPLE_CONFIG_PATH, "utf8"));
if (process.argv.includes("--check")) {
  const current = existsSync(CONFIG_REFERENCE_PATH) ? readFileSync(CONFIG_REFERENCE_PATH, "utf8") : "";
  if (current !== expected) {
    process.stderr.write(`${CONFIG_REFERENCE_PATH} is out of date: run ${REGENERATE}\n`);
    process.exit(1);
  }
} else {
  mkdirSync(dirname(CONFIG_REFERENCE_PATH), { recursive: true });
  writeFileSync(CONFIG_REFERENCE_PATH, expected);
  process.stderr.write(`wrote ${CONFIG_REFERENCE_PATH}\n`);
}

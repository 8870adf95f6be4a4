#!/usr/bin/env -S npx tsx
/**
 * Regenerates manifests/gitops-install.yaml from gitops-config.example.yaml, with no credentials in reach, so the
 * committed file shows exactly what apply-gitops prints for the example. A test fails when the two drift.
 * Usage: npx tsx scripts/generate-manifests.ts [--check]
 */
import { readFileSync, writeFileSync } from "node:fs";
import { exampleInstallYaml, MANIFEST_PATH } from "../install/example-manifests.js";

if (process.argv.includes("--help") || process.argv.includes("-h")) {
  process.stdout.write(
    "Usage: npx tsx scripts/generate-manifests.ts [--check]\n  --check  exit 1 if manifests/ is out of date\n",
  );
  process.exit(0);
}
const expected = await exampleInstallYaml();
if (process.argv.includes("--check")) {
  const current = readFileSync(MANIFEST_PATH, "utf8");
  if (current !== expected) {
    process.stderr.write(`${MANIFEST_PATH} is out of date: run npx tsx scripts/generate-manifests.ts\n`);
    process.exit(1);
  }
} else {
  writeFileSync(MANIFEST_PATH, expected);
  process.stderr.write(`wrote ${MANIFEST_PATH}\n`);
}

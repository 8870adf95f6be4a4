#!/usr/bin/env -S npx tsx
import { readFileSync } from "node:fs";
import { createLogger } from "./log.js";
import { describeConfig, prepareStartup } from "./startup.js";

// The edge of the process: the only place that reads argv, the environment and the config file.
const startup = prepareStartup(process.argv.slice(2), {
  env: process.env,
  readFile: (path) => readFileSync(path, "utf8"),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
if ("exitCode" in startup) {
  process.exit(startup.exitCode);
}
const log = createLogger({
  format: process.env.LOG_FORMAT === "pretty" ? "pretty" : "json",
  level: process.env.LOG_LEVEL ?? "info",
});
describeConfig(startup.config, log);

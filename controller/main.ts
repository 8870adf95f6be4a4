#!/usr/bin/env -S npx tsx
import { readFileSync } from "node:fs";
import { runDiffMode } from "./start/diff-mode.js";
import type { ProcessEdge } from "./start/process-edge.js";
import { runOnce } from "./start/run-once.js";
import { serveUntilStopped } from "./start/serve-until-stopped.js";
import { wireShared } from "./start/shared-wiring.js";
import { describeConfig, prepareStartup, startupLogger } from "./start/startup.js";
import { wireRun } from "./start/wire-run.js";

// The edge of the process: the only place that reads argv, the environment and the config file.
const edge: ProcessEdge = {
  env: process.env,
  readFile: (path) => readFileSync(path, "utf8"),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  onSignal: (signal, handler) => {
    process.on(signal, handler);
  },
  exit: (code) => process.exit(code),
};
const startup = prepareStartup(process.argv.slice(2), edge);
if ("exitCode" in startup) process.exit(startup.exitCode);

const { config, options } = startup;
const log = startupLogger(edge.env);
describeConfig(config, log);
const shared = wireShared(config, edge);
// --diff compares git with the cluster and exits: nothing is applied, no state is read or recorded, nothing served.
if (options.diff) process.exit(await runDiffMode(options.services ?? [], config, shared, edge, log));

const run = wireRun(config, options, shared, edge, log);
if (options.once) process.exit(await runOnce(run, log));
await serveUntilStopped(run, config, edge, log);

#!/usr/bin/env -S npx tsx
import { readFileSync } from "node:fs";
import { runDiffMode } from "./start/diff-mode.js";
import type { ProcessEdge } from "./start/process-edge.js";
import { runOnce } from "./start/run-once.js";
import { serveUntilStopped } from "./start/serve-until-stopped.js";
import { wireShared } from "./start/shared-wiring.js";
import { describeConfig, prepareStartup, type Startup, startupLogger } from "./start/startup.js";
import { wireRun } from "./start/wire-run.js";

/**
 * exitWhenWritten ends the process once everything written to stdout and stderr has left it: process.exit drops
 * the writes still queued on a pipe, which cut `--once --dry-run | kubectl apply -f -` short after 64 KiB.
 */
async function exitWhenWritten(code: number): Promise<never> {
  const drained = (stream: NodeJS.WriteStream) =>
    new Promise<void>((resolve) => stream.write("", () => resolve()));
  await Promise.all([drained(process.stdout), drained(process.stderr)]);
  process.exit(code);
}

// The edge of the process: the only place that reads argv, the environment and the config file.
const edge: ProcessEdge = {
  env: process.env,
  readFile: (path) => readFileSync(path, "utf8"),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  onSignal: (signal, handler) => {
    process.on(signal, handler);
  },
  exit: (code) => void exitWhenWritten(code),
};
const startup = prepareStartup(process.argv.slice(2), edge);
if ("exitCode" in startup) await exitWhenWritten(startup.exitCode);
else await start(startup);

/** start does what the flags ask: --diff and --once exit with their status; serving runs until a signal stops it. */
async function start({ config, options }: Exclude<Startup, { exitCode: number }>): Promise<void> {
  const log = startupLogger(edge.env);
  describeConfig(config, log);
  const shared = wireShared(config, edge);
  // --diff compares git with the cluster and exits: nothing is applied, no state is read or recorded, nothing served.
  if (options.diff) return exitWhenWritten(await runDiffMode(options, config, shared, edge, log));
  const run = wireRun(config, options, shared, edge, log);
  if (options.once) return exitWhenWritten(await runOnce(run, log));
  await serveUntilStopped(run, config, edge, log);
}

#!/usr/bin/env -S npx tsx
import { userInfo } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { lazyKubeRequest, loadDefaultKubeConfig, loadKubeConfigFiles } from "../kube/kubeconfig.js";
import { runCli } from "./run.js";

// The edge of the CLI: the only place that reads argv, the environment and the OS user, and handles signals.
const stop = new AbortController();
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  // Once: a second Ctrl-C ends the process at once, whatever is still in flight.
  process.once(signal, () => stop.abort(new Error(`stopped by ${signal}`)));
}
const env = process.env;

process.exitCode = await runCli(process.argv.slice(2), {
  env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  user: () => {
    try {
      return userInfo().username;
    } catch {
      // No passwd entry (a container running as an arbitrary uid): the controller records "api".
      return env.USER;
    }
  },
  now: Date.now,
  sleep: (ms, signal) => sleep(ms, undefined, { signal }),
  signal: stop.signal,
  kube: (path) =>
    lazyKubeRequest(() =>
      path === undefined ? loadDefaultKubeConfig({ env }) : loadKubeConfigFiles([path], { env }),
    ),
});

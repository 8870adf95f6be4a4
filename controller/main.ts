#!/usr/bin/env -S npx tsx
import { readFileSync } from "node:fs";
import cron from "node-cron";
import { createKubeObjectReader } from "../applyers/kube-api.js";
import { createServerDiff } from "../applyers/server-diff.js";
import { systemClock, systemTimers } from "../common/clock.js";
import { createLogger } from "../common/log.js";
import { lazyKubeRequest } from "../kube/kubeconfig.js";
import { describeRef } from "../kube/objects.js";
import { createReleaseProbe } from "./desired/release-probe.js";
import { resolveInstallNamespace } from "./desired/render/own-names.js";
import { createController } from "./loop/controller.js";
import { createLeaderElector, type LeaderElector } from "./loop/leader.js";
import { createMetrics } from "./report/metrics.js";
import { createNotifyDispatcher } from "./report/notify/dispatcher.js";
import { notifyTargets } from "./report/notify/targets.js";
import { createGitHubSource } from "./source/github.js";
import {
  createProgressTracker,
  livenessLimitMs,
  meteredFetch,
  tracked,
  trackedApplyer,
  trackedFetch,
  trackedSource,
  trackedStore,
} from "./start/observe.js";
import { startServing } from "./start/serve.js";
import { describeConfig, prepareStartup, startWithRetry } from "./start/startup.js";
import { buildApplyer, buildCommitStatuses, buildStateStore, defaultWorkspace } from "./start/wiring.js";

// The edge of the process: the only place that reads argv, the environment and the config file.
const startup = prepareStartup(process.argv.slice(2), {
  env: process.env,
  readFile: (path) => readFileSync(path, "utf8"),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
if ("exitCode" in startup) process.exit(startup.exitCode);

const { config, options } = startup;
const log = createLogger({
  format: process.env.LOG_FORMAT === "pretty" ? "pretty" : "json",
  level: process.env.LOG_LEVEL ?? "info",
});
describeConfig(config, log);

// One apiserver client for the whole process; its kubeconfig is read on first use, so a dry run never needs one.
const kube = lazyKubeRequest();
const serverDiff = createServerDiff({ request: kube });
// The controller's own namespace: git may not touch the install's objects there.
const installNamespace = resolveInstallNamespace(process.env, (path) => readFileSync(path, "utf8"));
// stateless: auto gives the bootstrap to services that have a release (release_dir, else download_base_url).
const releaseProbe = createReleaseProbe(config.releaseDir ? { releaseDir: config.releaseDir } : {});
// --diff compares git with the cluster and exits: nothing is applied, no state is read or recorded, nothing served.
if (options.diff) {
  // Imported only here: the diff library is not worth its memory in a process that never diffs.
  const { runDiff } = await import("./report/diff/run-diff.js");
  const exitCode = await runDiff(options.services ?? [], {
    config,
    source: createGitHubSource({ log: log.child({ component: "source" }) }),
    serverDiff,
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    log: log.child({ component: "diff" }),
    installNamespace,
    releaseProbe,
  });
  process.exit(exitCode);
}
const wiring = {
  kube,
  // Child processes (kubectl, NoKube) get only what they need of it: never the tokens and secrets.
  env: process.env,
  dryRun: options.dryRun,
  stateDir: options.stateDir,
  workspace: defaultWorkspace(process.env, options.stateDir),
  write: (text: string) => process.stdout.write(text),
  log,
};
// In a pod (the DaemonSet sets POD_NAME and POD_NAMESPACE), several replicas elect one leader through a Lease;
// run by hand, or with --once or --dry-run, this process is the only one.
const podNamespace = process.env.POD_NAMESPACE;
const elector: LeaderElector | undefined =
  podNamespace && process.env.POD_NAME && !options.once && !options.dryRun
    ? createLeaderElector({
        namespace: podNamespace,
        identity: process.env.POD_NAME,
        request: kube,
        log: log.child({ component: "leader" }),
        onStartedLeading: () => {
          metrics.setLeader(true);
          controller.requestSync({ trigger: "startup" });
        },
        onStoppedLeading: () => {
          metrics.setLeader(false);
          // A replica that lost the Lease must not write again: the sync in flight stops before its next write.
          controller.abort("lost the leader Lease");
        },
      })
    : undefined;
const metrics = createMetrics();
// Every outward call of the loop is tracked, so /healthz can tell a wedged loop from a busy one and say which call.
const progress = createProgressTracker({
  limitMs: livenessLimitMs(config),
  slowMs: 60_000,
  clock: systemClock,
  timers: systemTimers,
  log: log.child({ component: "liveness" }),
});
const notifier = createNotifyDispatcher({
  targets: notifyTargets(config.notifications, process.env),
  log: log.child({ component: "notify" }),
});
// Repositories with commit_status: true get a status per service on each commit synced (none on a dry run).
const commitStatuses = buildCommitStatuses(config, {
  ...wiring,
  clock: systemClock,
  timers: systemTimers,
  fetch: meteredFetch(metrics),
});
const controller = createController({
  config,
  source: trackedSource(
    createGitHubSource({
      log: log.child({ component: "source" }),
      fetch: trackedFetch(progress, meteredFetch(metrics)),
    }),
    progress,
  ),
  applyer: trackedApplyer(buildApplyer(config, wiring), progress),
  store: trackedStore(buildStateStore(config, { ...wiring, namespace: podNamespace ?? "default" }), progress),
  clock: systemClock,
  timers: systemTimers,
  cron: (expression, fn) => cron.schedule(expression, fn),
  log,
  dryRun: options.dryRun,
  installNamespace,
  releaseProbe,
  healthTimeoutMs: config.healthTimeoutSeconds * 1000,
  // Live objects are read for health checks and before every prune; a dry run reads and prunes nothing.
  ...(options.dryRun
    ? {}
    : {
        readObject: tracked(progress, (ref) => `read of ${describeRef(ref)}`, createKubeObjectReader(kube)),
        dryRunApply: tracked(
          progress,
          (objects) => `server-side dry run of ${objects.length} objects`,
          (objects) => serverDiff.diff(objects),
        ),
      }),
  ...(elector ? { isLeader: () => elector.isLeader() } : {}),
  onPoll: (outcome) => metrics.observePoll(outcome),
  ...(commitStatuses ? { onSyncStart: commitStatuses.started } : {}),
  listeners: [
    ...(commitStatuses ? [commitStatuses.finished] : []),
    (result) => metrics.observeSync(result),
    // A dry run deploys nothing, so it announces nothing.
    (result) => {
      if (!result.dryRun) notifier.notify(result, controller.getState().services[result.service]?.files);
    },
  ],
});

if (options.once) {
  const results = await controller.runOnce();
  const failed = results.filter((result) => result.status === "failed");
  log.info({ services: results.length, failed: failed.map((result) => result.service) }, "one sync done");
  await notifier.flush();
  // A status GitHub did not take yet may wait minutes for its retry: give it ten seconds, not the exit code.
  await Promise.race([commitStatuses?.queue.idle(), new Promise((resolve) => setTimeout(resolve, 10_000))]);
  process.exit(failed.length > 0 ? 1 : 0);
}

if (!elector) metrics.setLeader(true);
// Why start-up is not ready yet (the state store's last error), for /readyz.
let startProblem: string | undefined;
const server = await startServing({
  config,
  controller,
  metrics,
  env: process.env,
  isLeader: () => elector?.isLeader() ?? true,
  startProblem: () => startProblem,
  liveness: () => progress.liveness(controller.status().running),
  log,
});
const shutdown = new AbortController();
// Registered before the state is loaded (which may retry for long) and kept for the whole shutdown: with no listener
// left, a second SIGTERM or Ctrl-C would end the process at once, mid-apply, with the Lease held (exit 143).
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    if (shutdown.signal.aborted) return;
    shutdown.abort();
    void stop(signal);
  });
}
if (
  await startWithRetry(() => controller.start(), {
    timers: systemTimers,
    log,
    signal: shutdown.signal,
    onProblem: (message) => {
      startProblem = message;
    },
  })
) {
  // A SIGTERM during the first load has already stopped the elector: starting it now would campaign for a Lease
  // that nothing releases before the process exits.
  if (!shutdown.signal.aborted) elector?.start();
}

async function stop(signal: NodeJS.Signals): Promise<void> {
  log.info({ signal }, "shutting down");
  // Stop applying first, then hand the Lease over, so a new leader never overlaps with our last apply.
  const { abandoned } = await controller.stop({ graceMs: 20_000 });
  await elector?.stop();
  await server.close();
  await Promise.race([
    Promise.all([notifier.flush(), commitStatuses?.queue.idle()]),
    new Promise((resolve) => setTimeout(resolve, 5_000)),
  ]);
  log.info({ abandoned }, "stopped");
  process.exit(0);
}

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeConfig, Watch } from "@kubernetes/client-node";
import yaml from "js-yaml";
import pino from "pino";
import { systemClock, systemTimers } from "../common/clock.js";
import { parseConfig } from "../controller/config/load.js";
import { type Controller, createController } from "../controller/loop/controller.js";
import { createFileStateStore } from "../controller/record/state/file.js";
import { createGitHubSource } from "../controller/source/github.js";
import { buildApplyer } from "../controller/start/wiring.js";
import { lazyKubeRequest, loadDefaultKubeConfig } from "../kube/kubeconfig.js";
import type { GitRepo } from "../test/github-server/git-repo.js";
import { createGitHubWorld, type GitHubWorld } from "../test/github-server/harness.js";
import { createNamespace, deleteNamespaces, kubectl } from "./cluster.js";
import { type Row, withBaseline } from "./row.js";
import { median, p95 } from "./stats.js";

/** LatencyOptions size the change latency benchmark. */
export interface LatencyOptions {
  readonly kubeconfig: string;
  /** Commits measured with the webhook trigger, and with the direct-apply baseline. Default 20. */
  readonly webhookCommits?: number;
  /** Commits measured with polling. Default 20. */
  readonly pollCommits?: number;
  readonly pollIntervalSeconds?: number;
}

const TOKEN = "ghp_benchlatencytoken00000000000000000000";
const TIMEOUT_MS = 30_000;
const BASELINE = "commit → kubectl apply --server-side -f <file> (no controller)";

/**
 * benchChangeLatency measures commit → ConfigMap updated in the test cluster through the real loop
 * (createController, GitHub source on the GitHub test server, the default applyer chain, file state store, real timers),
 * triggered (a) by `requestSync` right after the commit, as the push webhook does, and (b) by polling.
 * The baseline, interleaved with (a), is the least any GitOps tool must spend: `kubectl apply` of the committed
 * file straight after the commit. The moment the object changed is seen with a watch, not by polling the cluster.
 */
export async function benchChangeLatency(options: LatencyOptions): Promise<Row[]> {
  const { kubeconfig } = options;
  const webhookCommits = options.webhookCommits ?? 20;
  const pollCommits = options.pollCommits ?? 20;
  const interval = options.pollIntervalSeconds ?? 5;
  const ns = await createNamespace(kubeconfig, "bench-latency");
  const world = await createGitHubWorld();
  const stateDir = await mkdtemp(join(tmpdir(), "bench-latency-state-"));
  const seen = await watchVersions(kubeconfig, ns);
  const controllers: Controller[] = [];
  try {
    const repo = await world.addRepo("bench", "latency", TOKEN);
    await repo.commit({
      "app/config.yaml": configMap(ns, "latency", 0),
      "direct/config.yaml": configMap(ns, "direct", 0),
    });
    let version = 0;

    const webhook = controllerFor(world, kubeconfig, stateDir, 3600);
    controllers.push(webhook);
    await webhook.start();
    await webhook.idle();
    await seen.wait("latency", version, TIMEOUT_MS);
    const webhookMs: number[] = [];
    const directMs: number[] = [];
    for (let i = 0; i < webhookCommits; i++) {
      version += 1;
      directMs.push(await directApply(repo, kubeconfig, ns, version, seen));
      const started = await commit(repo, ns, version);
      webhook.requestSync({ trigger: "webhook", repoKey: "main" });
      webhookMs.push((await seen.wait("latency", version, TIMEOUT_MS)) - started);
    }
    await webhook.stop();

    const polling = controllerFor(world, kubeconfig, stateDir, interval);
    controllers.push(polling);
    await polling.start();
    await polling.idle();
    const pollMs: number[] = [];
    for (let i = 0; i < pollCommits; i++) {
      // A push lands at a random moment of the poll cycle.
      await sleep(Math.random() * interval * 1000);
      version += 1;
      const started = await commit(repo, ns, version);
      pollMs.push((await seen.wait("latency", version, TIMEOUT_MS + interval * 1000)) - started);
    }
    await polling.stop();

    const base = median(directMs);
    const baseP95 = p95(directMs);
    const row = (name: string, metric: string, samples: number[], baselineValue: number, note: string) =>
      withBaseline({
        bench: "change-latency",
        case: name,
        metric,
        unit: "ms",
        value: metric === "p95" ? p95(samples) : median(samples),
        baseline: BASELINE,
        baselineValue,
        note,
      });
    return [
      row("push webhook (requestSync)", "median", webhookMs, base, `${webhookCommits} commits`),
      row("push webhook (requestSync)", "p95", webhookMs, baseP95, `${webhookCommits} commits`),
      row(
        `polling every ${interval} s`,
        "median",
        pollMs,
        base,
        `${pollCommits} commits at random moments; expected ≈ ${interval / 2} s + webhook median`,
      ),
      row(`polling every ${interval} s`, "p95", pollMs, baseP95, `${pollCommits} commits`),
    ];
  } finally {
    for (const controller of controllers) await controller.stop({ graceMs: 5_000 }).catch(() => undefined);
    seen.close();
    await world.close();
    await rm(stateDir, { recursive: true, force: true });
    await deleteNamespaces(kubeconfig, [ns]).catch(() => undefined);
  }
}

function controllerFor(
  world: GitHubWorld,
  kubeconfig: string,
  stateDir: string,
  pollSeconds: number,
): Controller {
  const log = pino({ level: "silent" });
  const config = parseConfig(
    `
github_configs:
  main: { repo_owner: bench, repo_name: latency, token: ${TOKEN}, api_url: "${world.server.url}" }
services:
  - { name: app, github: main, k8s_yaml_dir: app, stateless: false }
poll_interval: ${pollSeconds}
health_timeout: 0
`,
    "bench-latency.yaml",
  );
  return createController({
    config,
    source: createGitHubSource({ log }),
    // The default chain (the `api` applyer first), as the goals are for the default configuration.
    applyer: buildApplyer(config, {
      kube: lazyKubeRequest(() => loadDefaultKubeConfig({ env: { KUBECONFIG: kubeconfig } })),
      dryRun: false,
      stateDir,
      workspace: stateDir,
      write: () => undefined,
      log,
      env: { KUBECONFIG: kubeconfig, PATH: process.env.PATH, HOME: process.env.HOME },
    }),
    store: createFileStateStore(stateDir),
    clock: systemClock,
    timers: systemTimers,
    log,
  });
}

function configMap(namespace: string, name: string, version: number): string {
  return yaml.dump({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace },
    data: { version: String(version) },
  });
}

/** commit writes the service's ConfigMap at `version` and resolves with the time the commit was done. */
async function commit(repo: GitRepo, ns: string, version: number): Promise<number> {
  await repo.commit({ "app/config.yaml": configMap(ns, "latency", version) }, `latency ${version}`);
  return performance.now();
}

async function directApply(repo: GitRepo, kubeconfig: string, ns: string, version: number, seen: Versions) {
  await repo.commit({ "direct/config.yaml": configMap(ns, "direct", version) }, `direct ${version}`);
  const started = performance.now();
  await kubectl(kubeconfig, [
    "apply",
    "--server-side",
    "--field-manager=bench-direct",
    "-f",
    join(repo.dir, "direct/config.yaml"),
  ]);
  return (await seen.wait("direct", version, TIMEOUT_MS)) - started;
}

interface Versions {
  /** wait resolves with the time (performance.now) the named ConfigMap was first seen at `version`. */
  wait(name: string, version: number, timeoutMs: number): Promise<number>;
  close(): void;
}

/** watchVersions watches the namespace's ConfigMaps and notes when each `data.version` of each one is first seen. */
async function watchVersions(kubeconfig: string, ns: string): Promise<Versions> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const firstSeen = new Map<string, number>();
  const waiters = new Map<string, () => void>();
  let failure: unknown;
  const abort = await new Watch(kc).watch(
    `/api/v1/namespaces/${ns}/configmaps`,
    {},
    (_phase, object: { metadata?: { name?: string }; data?: { version?: string } }) => {
      const key = `${object.metadata?.name}@${object.data?.version}`;
      if (!firstSeen.has(key)) firstSeen.set(key, performance.now());
      waiters.get(key)?.();
    },
    (error: unknown) => {
      failure = error ?? new Error("the watch ended");
      for (const wake of waiters.values()) wake();
    },
  );
  return {
    async wait(name, version, timeoutMs) {
      const key = `${name}@${version}`;
      const deadline = performance.now() + timeoutMs;
      while (!firstSeen.has(key)) {
        if (failure !== undefined) throw new Error(`watching ConfigMaps in ${ns} failed`, { cause: failure });
        const left = deadline - performance.now();
        if (left <= 0)
          throw new Error(`ConfigMap ${name} never reached version ${version} in ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.set(key, () => {
            clearTimeout(timer);
            resolve();
          });
        });
        waiters.delete(key);
      }
      return firstSeen.get(key) as number;
    },
    close: () => abort.abort(),
  };
}

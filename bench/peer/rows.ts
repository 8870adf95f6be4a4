import { setTimeout as sleep } from "node:timers/promises";
import { kubectl } from "../cluster.js";
import { type Row, withBaseline } from "../row.js";
import { median } from "../stats.js";
import { bareApply, type KubeHttp } from "./bare-apply.js";
import {
  CRD_KINDS,
  configMapFiles,
  STACK_LABEL,
  stackFiles,
  stackObjects,
  stackWatchPaths,
} from "./fixtures.js";
import { FLUX_VERSION, type Flux } from "./flux.js";
import { cpuSeconds, rssMiB } from "./proc.js";
import type { SgProcess } from "./sg-process.js";
import { waitUntil } from "./wait.js";
import type { VersionWatch } from "./watch.js";
import { OWNER, type PeerWorld } from "./world.js";

export const CONTENDERS = ["flux", "sg"] as const;
export type Contender = (typeof CONTENDERS)[number];
export const INTERVAL_SECONDS = 5;
export const STACK_SIZE = stackObjects("x", 0).length;
const FLUX = `Flux ${FLUX_VERSION} source-controller + kustomize-controller`;

/** Running is everything the rows measure: both contenders up, every repository synced once, a watch on it all. */
export interface Running {
  readonly kubeconfig: string;
  readonly world: PeerWorld;
  readonly watch: VersionWatch;
  readonly flux: Flux;
  readonly sg: SgProcess;
  readonly http: KubeHttp;
  readonly repos: Map<string, Awaited<ReturnType<PeerWorld["addRepo"]>>>;
}

/** crdsEstablished waits until a stack copy's CRDs exist and are established. */
export async function crdsEstablished(kubeconfig: string, stack: string): Promise<void> {
  const selector = `${STACK_LABEL}=${stack}`;
  await waitUntil(
    `the CRDs of stack ${stack}`,
    300_000,
    async () => {
      const names = await kubectl(kubeconfig, ["get", "crd", "-l", selector, "-o", "name"]);
      return names.split("\n").filter(Boolean).length === CRD_KINDS.length;
    },
    1_000,
  );
  await kubectl(kubeconfig, ["wait", "--for=condition=Established", "crd", "-l", selector, "--timeout=60s"]);
}

/** idleRows: RSS and CPU of both contenders over the same idle window, everything synced, polling every 5 s. */
export async function idleRows(run: Running, count: number, seconds: number): Promise<Row[]> {
  const pids = { flux: run.flux.pids, sg: [run.sg.pid] };
  await sleep(Math.min(30, seconds / 4) * 1000);
  const cpuBefore = { flux: await cpuSeconds(pids.flux), sg: await cpuSeconds(pids.sg) };
  await sleep(seconds * 1000);
  const cpu = {
    flux: (await cpuSeconds(pids.flux)) - cpuBefore.flux,
    sg: (await cpuSeconds(pids.sg)) - cpuBefore.sg,
  };
  const rss = { flux: await rssMiB(pids.flux), sg: await rssMiB(pids.sg) };
  const note = `${count} repositories each (a 106-object stack, 1 + ${count - 2} one-ConfigMap ones), every ${INTERVAL_SECONDS} s`;
  return [
    withBaseline({
      bench: "peer",
      case: `RSS idle, ${count} repositories`,
      metric: "RSS",
      unit: "MiB",
      value: rss.sg,
      baseline: FLUX,
      baselineValue: rss.flux,
      note: `${note}; after the first sync and ${seconds} s idle; Flux = sum of its two processes`,
    }),
    withBaseline({
      bench: "peer",
      case: `CPU over ${seconds} s idle, ${count} repositories`,
      metric: "CPU time",
      unit: "s",
      value: cpu.sg,
      baseline: FLUX,
      baselineValue: cpu.flux,
      note: `${note}; same window for both; /proc utime+stime`,
    }),
  ];
}

/** pollLatencyRows: commit → ConfigMap seen changed, both polling every 5 s, commits at random moments, in turns. */
export async function pollLatencyRows(run: Running, commits: number): Promise<Row[]> {
  const samples: Record<Contender, number[]> = { flux: [], sg: [] };
  for (let i = 0; i < commits; i++) {
    for (const c of i % 2 === 0 ? CONTENDERS : [...CONTENDERS].reverse()) {
      await sleep(Math.random() * INTERVAL_SECONDS * 1000);
      const name = `lat-${c}`;
      const version = i + 2;
      await run.repos.get(name)?.commit(configMapFiles(name, `peer-small-${c}`, version), `v${version}`);
      const started = performance.now();
      samples[c].push((await run.watch.applied(name, version, 1, 60_000)) - started);
    }
  }
  return [
    withBaseline({
      bench: "peer",
      case: `commit → applied, polling every ${INTERVAL_SECONDS} s`,
      metric: "median",
      unit: "ms",
      value: median(samples.sg),
      baseline: FLUX,
      baselineValue: median(samples.flux),
      note: `${commits} commits each, at random moments of the poll cycle, contenders in turns`,
    }),
  ];
}

/** stackRows: a commit changing all 106 objects, triggered at once (webhook; Flux's requestedAt), and a bare loop. */
export async function stackRows(run: Running, commits: number): Promise<Row[]> {
  const samples = { flux: [] as number[], sg: [] as number[], bare: [] as number[] };
  // The bare copy's first version lands before timing, as the controllers' first sync did.
  const first = stackObjects("bare", 1);
  await bareApply(
    run.http,
    first.filter((o) => o.kind === "CustomResourceDefinition"),
  );
  await crdsEstablished(run.kubeconfig, "bare");
  await bareApply(run.http, first);
  await run.watch.add(stackWatchPaths("bare"));
  await run.watch.applied("bare", 1, STACK_SIZE, 120_000);
  for (let i = 0; i < commits; i++) {
    const version = i + 2;
    const order = (["flux", "sg", "bare"] as const).map((_, k, all) => all[(k + i) % all.length] as string);
    for (const c of order) {
      let started: number;
      if (c === "bare") {
        started = performance.now();
        await bareApply(run.http, stackObjects("bare", version));
      } else {
        await run.repos.get(`stack-${c}`)?.commit(stackFiles(c, version), `v${version}`);
        started = performance.now();
        await trigger(run, c as Contender);
      }
      samples[c as keyof typeof samples].push(
        (await run.watch.applied(c, version, STACK_SIZE, 180_000)) - started,
      );
    }
  }
  const note = `${STACK_SIZE} objects (4 CRDs, 40 custom resources, RBAC, workloads, 40 ConfigMaps), every object changed; median of ${commits}`;
  return [
    withBaseline({
      bench: "peer",
      case: "monitoring stack vs Flux, commit → applied",
      metric: "median",
      unit: "ms",
      value: median(samples.sg),
      baseline: `${FLUX}, reconcile requested at once`,
      baselineValue: median(samples.flux),
      note: `${note}; simple-gitops triggered by a signed push webhook`,
    }),
    withBaseline({
      bench: "peer",
      case: "monitoring stack vs bare SSA loop, commit → applied",
      metric: "median",
      unit: "ms",
      value: median(samples.sg),
      baseline: "server-side apply PATCHes, 8 at a time, CRDs → namespaces → rest (undici, client cert)",
      baselineValue: median(samples.bare),
      note,
    }),
  ];
}

async function trigger(run: Running, c: Contender): Promise<void> {
  if (c === "sg") return run.sg.push(OWNER, "stack-sg");
  const at = JSON.stringify({
    metadata: { annotations: { "reconcile.fluxcd.io/requestedAt": new Date().toISOString() } },
  });
  await run.http.patch(
    "/apis/source.toolkit.fluxcd.io/v1/namespaces/flux-system/gitrepositories/stack-flux",
    at,
    "application/merge-patch+json",
  );
  await run.http.patch(
    "/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/stack-flux",
    at,
    "application/merge-patch+json",
  );
}

/**
 * The peer benchmark: simple-gitops (compiled, `node dist/controller/main.js`, as the image runs it) against Flux
 * v1.9.6's source-controller + kustomize-controller, both as local processes on the same test cluster, tracking
 * the same generated repositories (each contender its own copy, identical but for names) at the same 5 s interval.
 * Applied means "seen at the new version by a watch on the apiserver", the same observation for every contender.
 */
import { kubectl } from "./cluster.js";
import { bareKubeHttp } from "./peer/bare-apply.js";
import {
  configMapFiles,
  SHARED_WATCH_PATHS,
  STACK_LABEL,
  stackFiles,
  stackWatchPaths,
} from "./peer/fixtures.js";
import { deleteFluxObjects, ensureFlux, startFlux } from "./peer/flux.js";
import { ensureNamespace } from "./peer/namespace.js";
import {
  CONTENDERS,
  type Contender,
  crdsEstablished,
  INTERVAL_SECONDS,
  idleRows,
  pollLatencyRows,
  type Running,
  STACK_SIZE,
  stackRows,
} from "./peer/rows.js";
import { buildController, startController } from "./peer/sg-process.js";
import { watchVersions } from "./peer/watch.js";
import { createPeerWorld, OWNER, type PeerWorld, TOKEN } from "./peer/world.js";
import type { Row } from "./row.js";

/** PeerOptions size the peer benchmark. */
export interface PeerOptions {
  readonly kubeconfig: string;
  /** Repositories each contender tracks: the stack, the latency repository and small ones. Default 50. */
  readonly repos?: number;
  readonly idleSeconds?: number;
  readonly latencyCommits?: number;
  readonly stackCommits?: number;
}

/** benchPeer runs every peer row; without Go it returns one row saying it was skipped. */
export async function benchPeer(options: PeerOptions): Promise<Row[]> {
  const flux = await ensureFlux();
  if (flux.skipped) {
    process.stderr.write(`[bench] peer skipped: ${flux.skipped}\n`);
    return [{ bench: "peer", case: "skipped", metric: "–", unit: "", value: Number.NaN, note: flux.skipped }];
  }
  await buildController();
  const count = options.repos ?? 50;
  const cleanup: (() => Promise<unknown>)[] = [];
  const fluxNames: string[] = [];
  try {
    const world = await createPeerWorld();
    cleanup.push(() => world.close());
    for (const c of CONTENDERS) await ensureNamespace(options.kubeconfig, `peer-small-${c}`);
    cleanup.push(() => deleteLeftovers(options.kubeconfig));
    const watch = await watchVersions(options.kubeconfig, SHARED_WATCH_PATHS);
    cleanup.push(async () => watch.close());
    const repos = new Map<string, Awaited<ReturnType<PeerWorld["addRepo"]>>>();
    for (const c of CONTENDERS) {
      repos.set(`stack-${c}`, await world.addRepo(`stack-${c}`, stackFiles(c, 1)));
      repos.set(
        `lat-${c}`,
        await world.addRepo(`lat-${c}`, configMapFiles(`lat-${c}`, `peer-small-${c}`, 1)),
      );
      for (let i = 0; i < count - 2; i++) {
        const name = `small-${c}-${i}`;
        repos.set(name, await world.addRepo(name, configMapFiles(name, `peer-small-${c}`, 1)));
      }
    }
    const names = (c: Contender) => [...repos.keys()].filter((name) => name.includes(`-${c}`));
    const fluxRun = await startFlux(options.kubeconfig);
    cleanup.push(() => fluxRun.stop());
    // Before Flux stops: a Kustomization left behind keeps its finalizer for ever.
    cleanup.push(() => deleteFluxObjects(options.kubeconfig, { names: fluxNames }));
    for (const name of names("flux")) {
      await fluxRun.sync(name, world.cloneUrl(name), `${INTERVAL_SECONDS}s`);
      fluxNames.push(name);
    }
    const sg = await startController({
      apiUrl: world.github.server.url,
      token: TOKEN,
      kubeconfig: options.kubeconfig,
      repos: names("sg").map((name) => ({ owner: OWNER, name, service: name })),
      pollSeconds: INTERVAL_SECONDS,
    });
    cleanup.push(() => sg.stop());
    const http = await bareKubeHttp(options.kubeconfig);
    cleanup.push(() => http.close());
    const running: Running = { kubeconfig: options.kubeconfig, world, watch, flux: fluxRun, sg, http, repos };
    // Custom resources can be watched once their CRDs are served.
    for (const c of CONTENDERS) await crdsEstablished(options.kubeconfig, c);
    await watch.add([...stackWatchPaths("flux"), ...stackWatchPaths("sg")]);
    for (const c of CONTENDERS) {
      for (const name of names(c)) {
        const size = name.startsWith("stack") ? STACK_SIZE : 1;
        await watch.applied(name.startsWith("stack") ? c : name, 1, size, 300_000);
      }
    }
    return [
      ...(await idleRows(running, count, options.idleSeconds ?? 300)),
      ...(await pollLatencyRows(running, options.latencyCommits ?? 9)),
      ...(await stackRows(running, options.stackCommits ?? 5)),
    ];
  } finally {
    for (const step of cleanup.reverse()) await step().catch((error: unknown) => warn(error));
  }
}

function warn(error: unknown): void {
  process.stderr.write(`[bench] peer cleanup: ${error instanceof Error ? error.message : String(error)}\n`);
}

async function deleteLeftovers(kubeconfig: string): Promise<void> {
  const selector = `${STACK_LABEL}`;
  await kubectl(kubeconfig, [
    "delete",
    "namespace,customresourcedefinition,clusterrole,clusterrolebinding",
    "-l",
    selector,
    "--wait=false",
    "--ignore-not-found",
  ]);
  await kubectl(kubeconfig, ["delete", "namespace", "peer-small-flux", "peer-small-sg", "--wait=false"]);
}

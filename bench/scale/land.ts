import type { RequestCounts } from "../../test/github-server/server.js";
import { kubectl } from "../cluster.js";
import { deleteFluxObjects, type Flux, installFluxCrds, startFlux } from "../peer/flux.js";
import { ensureNamespace } from "../peer/namespace.js";
import { cpuSeconds, peakRssMiB } from "../peer/proc.js";
import { type SgProcess, startController } from "../peer/sg-process.js";
import { type VersionWatch, watchVersions } from "../peer/watch.js";
import { createPeerWorld, OWNER, type PeerWorld, TOKEN } from "../peer/world.js";
import { fluxObjects, OBJECTS_PER_SERVICE, repoFiles, SCALE_LABEL, type ScaleRun } from "./fixtures.js";

/** Landing is one contender's first sync of one run, measured from its process start. */
export interface Landing {
  /** Process start → the last object of the run seen by the watch; NaN when not all landed in time. */
  readonly seconds: number;
  /** CPU seconds (user + system) of the contender's processes from their start to that moment. */
  readonly cpuSeconds: number;
  /** Peak RSS (VmHWM) of the contender's processes at that moment, summed. */
  readonly peakRssMiB: number;
  /** The GitHub test server's requests for the run's repositories (simple-gitops only: Flux clones over git). */
  readonly github?: RequestCounts;
  /** Why the run did not land, when it did not. */
  readonly error?: string;
}

/** ScaleContext is what every run shares: the cluster, the repositories' servers and one watch on ConfigMaps. */
export interface ScaleContext {
  readonly kubeconfig: string;
  readonly world: PeerWorld;
  readonly watch: VersionWatch;
}

/** Contender is one contender running on one run's repositories, its objects landing or landed. */
export interface Contender {
  readonly pids: readonly number[];
  /** startedAt is the moment (performance.now) its first process was spawned. */
  readonly startedAt: number;
  /** github counts the GitHub test server's requests for the run's repositories (Flux clones over git: none). */
  github?(): RequestCounts;
  /** stop stops the processes and deletes what the run created in the cluster. */
  stop(): Promise<void>;
}

/** prepare creates the run's namespace and serves its repositories. */
export async function prepare(ctx: ScaleContext, run: ScaleRun): Promise<void> {
  await ensureNamespace(ctx.kubeconfig, run.name);
  for (const [repo, files] of repoFiles(run)) await ctx.world.addRepo(repo, files);
}

/**
 * runFlux creates the run's GitRepositories (polled every `intervalSeconds`) and Kustomizations first, then starts
 * Flux's two controllers: its clock starts with every object already there, as simple-gitops starts with its config.
 */
export async function runFlux(ctx: ScaleContext, run: ScaleRun, intervalSeconds: number): Promise<Contender> {
  let flux: Flux | undefined;
  const stop = () =>
    inTurn([
      // Before Flux stops: a Kustomization keeps its finalizer for ever without kustomize-controller.
      () => deleteFluxObjects(ctx.kubeconfig, { selector: `${SCALE_LABEL}=${run.name}` }, 300),
      async () => flux?.stop(),
      () => deleteNamespace(ctx.kubeconfig, run.name),
    ]);
  try {
    await prepare(ctx, run);
    await installFluxCrds(ctx.kubeconfig);
    await kubectl(
      ctx.kubeconfig,
      ["apply", "--server-side", "-f", "-"],
      fluxObjects(run, (repo) => ctx.world.cloneUrl(repo), `${intervalSeconds}s`),
    );
    flux = await startFlux(ctx.kubeconfig, undefined, `${SCALE_LABEL}=${run.name}`);
  } catch (error) {
    await stop();
    throw error;
  }
  return { pids: flux.pids, startedAt: flux.startedAt, stop };
}

/** controllerOptions start the compiled controller on a config naming every service of the run. */
export function controllerOptions(ctx: ScaleContext, run: ScaleRun, intervalSeconds: number) {
  return {
    apiUrl: ctx.world.github.server.url,
    token: TOKEN,
    kubeconfig: ctx.kubeconfig,
    repos: run.services.map((s) => ({ owner: OWNER, name: s.repo, service: s.service, dir: s.dir })),
    pollSeconds: intervalSeconds,
    readyTimeoutMs: 120_000,
  };
}

/** githubCounts counts the GitHub test server's requests for the run's repositories. */
export function githubCounts(ctx: ScaleContext, run: ScaleRun): () => RequestCounts {
  const prefix = `/${OWNER}/${run.name}-`;
  return () => ctx.world.github.server.counts((r) => r.path.includes(prefix));
}

/**
 * POD_HEAP_ENV gives the controller the heap Node gives itself in a container limited to 1 GiB (the memory the 10 000
 * goal allows): half the limit, 512 MB (measured in a 1 GiB memory cgroup: a heap_size_limit of 515 MiB with the
 * image's flags). Run bare on the benchmark's host, Node sizes the heap from the host's memory (4 GB here), and V8,
 * which lets the old generation grow to up to 4× what survived its last full collection with a limit that large
 * (1.3× to 2× below 2 GB), collects later than it ever would in a pod: 207 to 237 MiB of peak RSS at 1 000 services
 * instead of 149 to 156, in the same time (docs/performance.md, issue 32).
 */
export const POD_HEAP_ENV = { NODE_OPTIONS: "--max-old-space-size=512" } as const;

/** runSg starts the compiled controller on a config naming every service of the run, polling every `intervalSeconds`. */
export async function runSg(ctx: ScaleContext, run: ScaleRun, intervalSeconds: number): Promise<Contender> {
  let sg: SgProcess | undefined;
  const stop = () => inTurn([async () => sg?.stop(), () => deleteNamespace(ctx.kubeconfig, run.name)]);
  try {
    await prepare(ctx, run);
    sg = await startController({ ...controllerOptions(ctx, run, intervalSeconds), env: POD_HEAP_ENV });
  } catch (error) {
    await stop();
    throw error;
  }
  return { pids: [sg.pid], startedAt: sg.startedAt, github: githubCounts(ctx, run), stop };
}

/** landed resolves with the moment the watch saw the last object of the run at version 1. */
export function landed(ctx: ScaleContext, run: ScaleRun, timeoutMs: number): Promise<number> {
  return ctx.watch.applied(run.name, 1, run.services.length * OBJECTS_PER_SERVICE, timeoutMs);
}

/** land measures a contender from its start until every object of the run landed (or `timeoutMs` passed). */
export async function land(
  ctx: ScaleContext,
  contender: Contender,
  run: ScaleRun,
  timeoutMs: number,
): Promise<Landing> {
  let seconds = Number.NaN;
  let error: string | undefined;
  try {
    seconds = ((await landed(ctx, run, timeoutMs)) - contender.startedAt) / 1000;
  } catch (failure) {
    error = failure instanceof Error ? failure.message : String(failure);
  }
  const github = contender.github?.();
  return {
    seconds,
    cpuSeconds: await cpuSeconds(contender.pids),
    peakRssMiB: await peakRssMiB(contender.pids),
    ...(github === undefined ? {} : { github }),
    ...(error === undefined ? {} : { error }),
  };
}

/**
 * withScaleContext runs `body` with the repositories' servers and one watch on ConfigMaps, and closes them after,
 * whatever `body` did.
 */
export async function withScaleContext<T>(
  kubeconfig: string,
  body: (ctx: ScaleContext) => Promise<T>,
): Promise<T> {
  const cleanup: (() => Promise<unknown>)[] = [];
  try {
    const world = await createPeerWorld();
    cleanup.push(() => world.close());
    const watch = await watchVersions(kubeconfig, ["/api/v1/configmaps"]);
    cleanup.push(async () => watch.close());
    return await body({ kubeconfig, world, watch });
  } finally {
    await inTurn(cleanup.reverse());
  }
}

/** inTurn runs cleanup steps in order, each whatever the others did, and reports a failing one on stderr. */
export async function inTurn(steps: readonly (() => Promise<unknown>)[]): Promise<void> {
  for (const step of steps) {
    await step().catch((error: unknown) => {
      process.stderr.write(
        `[bench] scale cleanup: ${error instanceof Error ? error.message : String(error)}\n`,
      );
    });
  }
}

/** deleteNamespace deletes a run's namespace and waits (bounded) until it is gone, so the next run starts clean. */
export async function deleteNamespace(kubeconfig: string, name: string): Promise<void> {
  await kubectl(kubeconfig, ["delete", "namespace", name, "--ignore-not-found", "--timeout=600s"]);
}

import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa, type ResultPromise } from "execa";
import { kubectl } from "../cluster.js";
import { freePorts } from "./ports.js";
import { waitUntil } from "./wait.js";

export const FLUX_VERSION = "v1.9.6";
const CONTROLLERS = ["source-controller", "kustomize-controller"] as const;
const buildScript = fileURLToPath(new URL("./flux-build.sh", import.meta.url));

/** fluxDir is where the built controllers are cached, outside the checkout like the test-cluster binaries. */
export function fluxDir(): string {
  const cache = process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache");
  return join(cache, "simple-gitops", `flux-${FLUX_VERSION}`);
}

/**
 * ensureFlux builds both controllers into the cache unless they are there (a cold build takes about 9 minutes on
 * 2 cores); it resolves with the reason the peer benchmark must be skipped when Go is not installed.
 */
export async function ensureFlux(dir = fluxDir()): Promise<{ skipped?: string }> {
  const have = await Promise.all(
    CONTROLLERS.map((c) => execa("test", ["-x", join(dir, "bin", c)], { reject: false })),
  );
  if (have.every((result) => result.exitCode === 0)) return {};
  const go = await execa("go", ["version"], { reject: false, timeout: 10_000 });
  if (go.exitCode !== 0)
    return { skipped: `Go is not installed (go version: ${go.shortMessage ?? "failed"})` };
  process.stderr.write(`[bench] building Flux ${FLUX_VERSION} into ${dir} (about 9 minutes cold)…\n`);
  await mkdir(dir, { recursive: true });
  await execa("bash", [buildScript, dir], { stdio: ["ignore", "ignore", "inherit"], timeout: 40 * 60_000 });
  return {};
}

/** Flux is the two controllers running as local processes against the test cluster. */
export interface Flux {
  readonly pids: readonly number[];
  /** startedAt is the moment (performance.now) the first controller was spawned. */
  readonly startedAt: number;
  /** sync creates a GitRepository and a Kustomization named `name` in flux-system. */
  sync(name: string, url: string, interval: string): Promise<void>;
  stop(): Promise<void>;
}

/** installFluxCrds applies Flux's CRDs and the flux-system namespace, so its objects can be created before it starts. */
export async function installFluxCrds(kubeconfig: string, dir = fluxDir()): Promise<void> {
  await kubectl(kubeconfig, ["apply", "--server-side", "-f", join(dir, "crds")]);
  await kubectl(kubeconfig, ["wait", "--for=condition=Established", "crd", "--all", "--timeout=60s"]);
  await kubectl(kubeconfig, ["create", "namespace", "flux-system"]).catch(() => undefined);
}

/**
 * startFlux installs Flux's CRDs, starts both controllers and resolves once both answer /readyz. With
 * `watchSelector` they reconcile only the objects with those labels (`--watch-label-selector`): another Flux
 * benchmark on the same cluster would otherwise have both reconcile each other's objects.
 */
export async function startFlux(kubeconfig: string, dir = fluxDir(), watchSelector?: string): Promise<Flux> {
  await installFluxCrds(kubeconfig, dir);
  const run = await mkdtemp(join(tmpdir(), "bench-flux-"));
  // source-controller refuses a storage path that does not exist yet.
  await mkdir(join(run, "storage"));
  const [storage, scMetrics, scHealth, kcMetrics, kcHealth] = (await freePorts(5)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const env = { KUBECONFIG: kubeconfig, RUNTIME_NAMESPACE: "flux-system" };
  const common = (metrics: number, health: number) => [
    `--metrics-addr=127.0.0.1:${metrics}`,
    `--health-addr=127.0.0.1:${health}`,
    "--enable-leader-election=false",
    "--watch-all-namespaces=true",
    "--log-level=info",
    ...(watchSelector === undefined ? [] : [`--watch-label-selector=${watchSelector}`]),
  ];
  const children: ResultPromise[] = [];
  let startedAt = Number.NaN;
  const stop = async () => {
    for (const child of children) child.kill("SIGTERM");
    await Promise.all(children.map((child) => child.catch(() => undefined)));
    await rm(run, { recursive: true, force: true });
  };
  try {
    startedAt = performance.now();
    const start = (name: string, args: string[]) => {
      const child = execa(join(dir, "bin", name), args, {
        env,
        extendEnv: true,
        stdin: "ignore",
        stdout: { file: join(run, `${name}.log`) },
        stderr: { file: join(run, `${name}.err.log`) },
        reject: false,
        forceKillAfterDelay: 5_000,
      });
      children.push(child);
      return child;
    };
    start("source-controller", [
      `--storage-path=${join(run, "storage")}`,
      `--storage-addr=127.0.0.1:${storage}`,
      `--storage-adv-addr=127.0.0.1:${storage}`,
      ...common(scMetrics, scHealth),
    ]);
    start("kustomize-controller", [...common(kcMetrics, kcHealth), "--no-remote-bases=true"]);
    for (const port of [scHealth, kcHealth]) {
      await waitUntil(`Flux /readyz on port ${port}`, 60_000, async () => {
        const response = await fetch(`http://127.0.0.1:${port}/readyz`, {
          signal: AbortSignal.timeout(2_000),
        });
        return response.ok;
      });
    }
  } catch (error) {
    const tails = await Promise.all(
      CONTROLLERS.flatMap((c) => [`${c}.log`, `${c}.err.log`]).map(async (file) => {
        const text = await readFile(join(run, file), "utf8").catch(() => "");
        return text ? `${file}: ${text.trim().split("\n").slice(-5).join("\n")}` : "";
      }),
    );
    await stop();
    throw new Error(`Flux did not start: ${(error as Error).message}\n${tails.filter(Boolean).join("\n")}`);
  }
  return {
    pids: children.map((child) => child.pid as number),
    startedAt,
    async sync(name, url, interval) {
      await kubectl(
        kubeconfig,
        ["apply", "-f", "-"],
        `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: ${name}, namespace: flux-system}
spec: {url: "${url}", ref: {branch: main}, interval: ${interval}, timeout: 60s}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: ${name}, namespace: flux-system}
spec: {sourceRef: {kind: GitRepository, name: ${name}}, path: "./deploy", interval: 10m, prune: false, wait: false, timeout: 5m}
`,
      );
    },
    stop,
  };
}

/**
 * deleteFluxObjects removes the GitRepositories and Kustomizations a run created (their objects stay: no prune), named
 * or by label selector, waiting (up to `timeoutSeconds` a kind) for kustomize-controller to drop its finalizers: call
 * it while the controllers still run.
 */
export async function deleteFluxObjects(
  kubeconfig: string,
  which: { readonly names: readonly string[] } | { readonly selector: string },
  timeoutSeconds = 60,
): Promise<void> {
  const select = "names" in which ? which.names : ["-l", which.selector];
  if (select.length === 0) return;
  for (const kind of [
    "kustomizations.kustomize.toolkit.fluxcd.io",
    "gitrepositories.source.toolkit.fluxcd.io",
  ])
    await kubectl(kubeconfig, [
      "-n",
      "flux-system",
      "delete",
      kind,
      ...select,
      `--timeout=${timeoutSeconds}s`,
      "--ignore-not-found",
    ]);
}

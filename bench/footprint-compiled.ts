import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { createGitHubWorld, serviceFiles } from "../test/github-server/harness.js";
import { createNamespace, deleteNamespaces } from "./cluster.js";
import { type Row, withBaseline } from "./row.js";
import { median } from "./stats.js";

/** CompiledFootprintOptions size the compiled-controller footprint benchmark. */
export interface CompiledFootprintOptions {
  readonly kubeconfig: string;
  readonly repos?: number;
  /** idleSeconds is how long the controller idles (polling, nothing changes) before RSS and CPU are read. */
  readonly idleSeconds?: number;
  /** distDir is a compiled tree to run instead of building `dist/` from the checkout (to compare two builds). */
  readonly distDir?: string;
  /** nodeFlags replace the image's {@link IMAGE_NODE_FLAGS} (to try V8 flags). */
  readonly nodeFlags?: readonly string[];
  /** env replaces the image's {@link IMAGE_ENV} (to try allocator settings such as `MALLOC_ARENA_MAX`). */
  readonly env?: Readonly<Record<string, string>>;
}

const TOKEN = "ghp_benchfootprinttoken0000000000000000000";
const ROOT = fileURLToPath(new URL("../", import.meta.url));
const POLL_SECONDS = 5;
/** IMAGE_ENV is the environment the Dockerfile's ENV lines give the controller. */
export const IMAGE_ENV: Readonly<Record<string, string>> = { NODE_ENV: "production" };
/** IMAGE_NODE_FLAGS are the flags the Dockerfile's ENTRYPOINT gives node. */
export const IMAGE_NODE_FLAGS = ["--max-semi-space-size=1", "--enable-source-maps"] as const;
// Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks.
const TICKS_PER_SECOND = 100;

/**
 * benchFootprintCompiled runs the controller as the image runs it (`node` with the Dockerfile's flags on
 * dist/controller/main.js, compiled with `npm run build`) on `repos` repositories of one 5-ConfigMap service
 * each, applying for real to the test cluster with the default applyer chain and polling every 5 s. Once every
 * repository has been synced it idles for `idleSeconds`, reading the process's RSS from /proc every second (the
 * median is reported) and its CPU time over the whole idle window, against a bare `node` process that only keeps
 * a timer.
 */
export async function benchFootprintCompiled(options: CompiledFootprintOptions): Promise<Row[]> {
  const repos = options.repos ?? 50;
  const idleSeconds = options.idleSeconds ?? 30;
  const dist = options.distDir ?? join(ROOT, "dist");
  if (!options.distDir) await execa("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: ROOT });
  const world = await createGitHubWorld();
  const work = await mkdtemp(join(tmpdir(), "bench-footprint-compiled-"));
  const namespace = await createNamespace(options.kubeconfig, "bench-footprint");
  try {
    const names = Array.from({ length: repos }, (_, i) => `repo-${i}`);
    for (const name of names) {
      const repo = await world.addRepo("bench", name, TOKEN);
      await repo.commit(serviceFiles(name, "app", 5));
    }
    const config = [
      "github_configs:",
      ...names.map(
        (name) =>
          `  ${name}: { repo_owner: bench, repo_name: ${name}, token: ${TOKEN}, api_url: "${world.server.url}" }`,
      ),
      "services:",
      ...names.map(
        (name) =>
          `  - { name: ${name}, github: ${name}, k8s_yaml_dir: app, stateless: false, namespace: ${namespace} }`,
      ),
      `poll_interval: ${POLL_SECONDS}`,
      "health_timeout: 0",
      'listen: "127.0.0.1:0"',
    ].join("\n");
    const configPath = join(work, "gitops-config.yaml");
    await writeFile(configPath, `${config}\n`);
    const controller = await idleFootprint(
      [
        ...(options.nodeFlags ?? IMAGE_NODE_FLAGS),
        join(dist, "controller/main.js"),
        "--config",
        configPath,
        "--state-dir",
        join(work, "state"),
      ],
      {
        ...(options.env ?? IMAGE_ENV),
        KUBECONFIG: options.kubeconfig,
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "",
      },
      repos,
      idleSeconds,
    );
    const bare = await idleFootprint(["-e", "setInterval(() => {}, 1000)"], {}, 0, idleSeconds);
    const note = `${repos} repositories × 5 ConfigMaps applied to the test cluster, ${POLL_SECONDS} s poll; median of ${idleSeconds} readings, one a second while idle (peak ${controller.peakMiB.toFixed(1)} MiB)`;
    const baseline = "bare `node -e setInterval(...)` process";
    return [
      withBaseline({
        bench: "footprint",
        case: `compiled controller, ${repos} repos, idle`,
        metric: "RSS",
        unit: "MiB",
        value: controller.rssMiB,
        baseline,
        baselineValue: bare.rssMiB,
        note,
      }),
      {
        bench: "footprint",
        case: `compiled controller, ${repos} repos, idle`,
        metric: "CPU per minute idle",
        unit: "s",
        value: (controller.cpuSeconds * 60) / idleSeconds,
        note,
      },
    ];
  } finally {
    await deleteNamespaces(options.kubeconfig, [namespace]).catch(() => undefined);
    await world.close();
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * idleFootprint starts `node args`, waits until it has logged `polls` poll outcomes (its first sync), lets it idle
 * for `idleSeconds` and returns the median and peak of its RSS sampled each second and the CPU time it used.
 */
async function idleFootprint(
  args: readonly string[],
  env: Record<string, string>,
  polls: number,
  idleSeconds: number,
): Promise<{ rssMiB: number; peakMiB: number; cpuSeconds: number }> {
  const child = execa(process.execPath, args, { env, extendEnv: false, reject: false, buffer: false });
  let seen = 0;
  let stderr = "";
  const synced = new Promise<void>((resolve) => {
    if (polls === 0) resolve();
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
      seen += chunk.toString().split('"msg":"poll: ').length - 1;
      if (seen >= polls) resolve();
    });
  });
  try {
    await Promise.race([
      synced,
      child.then((result) => {
        throw new Error(`the process exited (${result.exitCode}) before its first sync: ${stderr}`);
      }),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`no first sync within 120 s: ${stderr}`)), 120_000).unref(),
      ),
    ]);
    const pid = child.pid as number;
    const cpuBefore = cpuTicks(pid);
    // RSS saw-tooths between major collections (tens of MiB with 50 repositories): one reading would land anywhere
    // on the tooth, so RSS is sampled every second while idle and the median reported, the peak beside it.
    const samples: number[] = [];
    for (let second = 0; second < idleSeconds; second++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      samples.push(rssKiB(pid) / 1024);
    }
    const cpuSeconds = (cpuTicks(pid) - cpuBefore) / TICKS_PER_SECOND;
    return { rssMiB: median(samples), peakMiB: Math.max(...samples), cpuSeconds };
  } finally {
    child.kill("SIGTERM");
    await child;
  }
}

/** rssKiB is a process's resident set size now, from /proc/pid/status. */
function rssKiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
}

/** cpuTicks is a process's user + system CPU time so far, in clock ticks (fields 14 and 15 of /proc/pid/stat). */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { execa, type ResultPromise } from "execa";
import { freePorts } from "./ports.js";
import { waitUntil } from "./wait.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const MAIN = join(ROOT, "dist/controller/main.js");
const SECRET = "bench-peer-webhook-secret";

// Other people may be editing the checkout while a long run starts: a type error of theirs can be gone a minute later.
async function buildWithRetries(attempts = 5): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const result = await execa("npm", ["run", "build"], { cwd: ROOT, timeout: 300_000, reject: false });
    if (result.exitCode === 0) return;
    if (attempt >= attempts)
      throw new Error(`npm run build failed ${attempts} times: ${result.stdout.slice(-2000)}`);
    process.stderr.write(`[bench] npm run build failed (attempt ${attempt}); retrying in 20 s\n`);
    await sleep(20_000);
  }
}

/** imageNodeFlags are the node flags of the Dockerfile's ENTRYPOINT, so the controller runs here as in the image. */
export async function imageNodeFlags(): Promise<string[]> {
  const dockerfile = await readFile(join(ROOT, "Dockerfile"), "utf8");
  const line = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(dockerfile)?.[1];
  const entry = line ? (JSON.parse(line) as string[]) : [];
  const main = entry.indexOf("dist/controller/main.js");
  if (entry[0] !== "node" || main < 0)
    throw new Error(`Dockerfile: no ENTRYPOINT ["node", …, "dist/controller/main.js"]`);
  return entry.slice(1, main);
}

let built: Promise<unknown> | undefined;

/**
 * buildController compiles the controller (`npm run build`) so it runs as the image runs it: plain node, no tsx.
 * Once per benchmark run: the soak's controller is already running from dist/ when the peer benchmark starts.
 */
export async function buildController(): Promise<void> {
  built ??= buildWithRetries();
  await built;
}

/** SgRepo is one service the controller tracks: a directory (deploy/ unless `dir`) of repository `owner/name`. */
export interface SgRepo {
  readonly owner: string;
  readonly name: string;
  /** a service name (DNS label) */
  readonly service: string;
  readonly dir?: string;
}

/** SgProcess is the compiled controller running as a child process. */
export interface SgProcess {
  readonly pid: number;
  /** startedAt is the moment (performance.now) the process was spawned. */
  readonly startedAt: number;
  /** url is where its HTTP server answers (`/healthz`, `/metrics`, `/v1/gitops/…`). */
  readonly url: string;
  /** synced resolves once every service reports the commit given for it (service → commit). */
  synced(commits: ReadonlyMap<string, string>, timeoutMs: number): Promise<void>;
  /** push delivers a signed push webhook for `owner/name`, as GitHub would after a push. */
  push(owner: string, name: string): Promise<void>;
  stop(): Promise<void>;
}

/** startController writes a config for `repos` and starts `node dist/controller/main.js` on it. */
export async function startController(options: {
  apiUrl: string;
  token: string;
  kubeconfig: string;
  repos: readonly SgRepo[];
  pollSeconds: number;
  /** How long the controller may take to answer /healthz (30 s). */
  readyTimeoutMs?: number;
  /** Top-level config lines added to the generated ones, e.g. `sharding: true`. */
  config?: readonly string[];
  /** Environment added to the process's, e.g. `POD_NAME` for a member of a fleet. */
  env?: Readonly<Record<string, string>>;
}): Promise<SgProcess> {
  const work = await mkdtemp(join(tmpdir(), "bench-peer-sg-"));
  const [port] = (await freePorts(1)) as [number];
  // One github_configs entry per repository, named after it: several services may read one repository.
  const repoLines = [...new Map(options.repos.map((r) => [`${r.owner}/${r.name}`, r])).values()].map(
    (r) =>
      `  ${r.name}: { repo_owner: ${r.owner}, repo_name: ${r.name}, token: ${options.token}, api_url: "${options.apiUrl}" }`,
  );
  const serviceLines = options.repos.map(
    (r) =>
      `  - { name: ${r.service}, github: ${r.name}, k8s_yaml_dir: ${r.dir ?? "deploy"}, stateless: false }`,
  );
  // health_timeout 0: Flux's Kustomizations run with wait: false, so neither waits for workloads.
  const config = [
    "github_configs:",
    ...repoLines,
    "services:",
    ...serviceLines,
    `poll_interval: ${options.pollSeconds}`,
    "health_timeout: 0",
    `listen: "127.0.0.1:${port}"`,
    ...(options.config ?? []),
    "",
  ].join("\n");
  await writeFile(join(work, "config.yaml"), config);
  const url = `http://127.0.0.1:${port}`;
  const startedAt = performance.now();
  const child: ResultPromise = execa(
    process.execPath,
    [
      ...(await imageNodeFlags()),
      MAIN,
      "--config",
      join(work, "config.yaml"),
      "--state-dir",
      join(work, "state"),
    ],
    {
      cwd: ROOT,
      env: { KUBECONFIG: options.kubeconfig, WEBHOOK_SECRET: SECRET, LOG_LEVEL: "info", ...options.env },
      extendEnv: true,
      stdin: "ignore",
      stdout: "ignore",
      stderr: { file: join(work, "controller.log") },
      reject: false,
      forceKillAfterDelay: 5_000,
    },
  );
  const stop = async () => {
    child.kill("SIGTERM");
    await child.catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  };
  try {
    await waitUntil("the controller's /healthz", options.readyTimeoutMs ?? 30_000, async () => {
      if (child.exitCode !== null) throw new Error(`the controller exited (${child.exitCode})`);
      return (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) })).ok;
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    pid: child.pid as number,
    startedAt,
    url,
    async synced(commits, timeoutMs) {
      await waitUntil(
        `simple-gitops to sync ${commits.size} services`,
        timeoutMs,
        async () => {
          const response = await fetch(`${url}/v1/gitops/services`, { signal: AbortSignal.timeout(5_000) });
          const body = (await response.json()) as { services: { name: string; last_commit_id: string }[] };
          return body.services.every((s) => !commits.has(s.name) || commits.get(s.name) === s.last_commit_id);
        },
        500,
      );
    },
    async push(owner, name) {
      // Each push names its own head, as GitHub's do: the webhook answers a body it has seen as a duplicate.
      const after = randomBytes(20).toString("hex");
      const body = JSON.stringify({
        ref: "refs/heads/main",
        after,
        repository: { full_name: `${owner}/${name}` },
      });
      const response = await fetch(`${url}/v1/gitops/webhook/github`, {
        method: "POST",
        body,
        headers: {
          "content-type": "application/json",
          "x-github-event": "push",
          "x-github-delivery": randomUUID(),
          "x-hub-signature-256": `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`,
        },
        signal: AbortSignal.timeout(5_000),
      });
      if (response.status !== 202) throw new Error(`webhook: ${response.status} ${await response.text()}`);
    },
    stop,
  };
}

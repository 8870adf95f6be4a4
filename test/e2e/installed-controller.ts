import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import yaml from "js-yaml";
import { afterAll, beforeAll } from "vitest";
import type { ControllerState } from "../../controller/record/state/state.js";
import { createGitHubWorld, type GitHubWorld } from "../github-server/harness.js";
import { createTestNamespace, kubeconfigPath, kubectl, type TestNamespace } from "./cluster.js";

// The controller run by a test as the install's own ServiceAccount: the install's objects without its DaemonSet,
// a token of its ServiceAccount, and one `--once` run, so the least-privilege RBAC is what the test exercises.

const MAIN = new URL("../../controller/main.ts", import.meta.url).pathname;
const APPLY_GITOPS = new URL("../../apply-gitops.ts", import.meta.url).pathname;
const unique = () => randomBytes(3).toString("hex");

/** Workspace is what a test file of the installed controller works in; see installedControllerWorkspace. */
export interface Workspace {
  /** world is the GitHub test server the controller reads. */
  readonly world: GitHubWorld;
  /** work is a temporary directory for install files and kubeconfigs. */
  readonly work: string;
  /** namespace creates a test namespace, removed after the file's tests, and returns its name. */
  namespace(prefix: string): Promise<string>;
}

/**
 * installedControllerWorkspace sets up, for the test file that calls it, a GitHub test server and a temporary
 * directory before its tests, and removes them and every namespace it created after them.
 */
export function installedControllerWorkspace(dirPrefix: string): Workspace {
  let world: GitHubWorld | undefined;
  let work: string | undefined;
  const namespaces: TestNamespace[] = [];
  beforeAll(async () => {
    world = await createGitHubWorld();
    work = await mkdtemp(join(tmpdir(), dirPrefix));
  });
  afterAll(async () => {
    await world?.close();
    await Promise.all(namespaces.map((ns) => ns.cleanup()));
    if (work) await rm(work, { recursive: true, force: true });
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the workspace is set up in beforeAll: use it inside a test");
    return value;
  };
  return {
    get world() {
      return ready(world);
    },
    get work() {
      return ready(work);
    },
    async namespace(prefix) {
      const ns = await createTestNamespace(prefix);
      namespaces.push(ns);
      return ns.name;
    },
  };
}

/**
 * installWithoutPods applies what `apply-gitops --dry-run` builds for `config` into `installNs`, except the
 * DaemonSet; `env` holds the token variables the config names, which apply-gitops puts into the install's Secret.
 */
export async function installWithoutPods(
  config: string,
  installNs: string,
  dir: string,
  env: Record<string, string> = {},
): Promise<void> {
  const file = join(dir, `install-${unique()}.yaml`);
  // The controller run by the test listens on any free port; the installed Service needs a real one.
  await writeFile(file, config.replace('listen: "127.0.0.1:0"', 'listen: "0.0.0.0:8080"'));
  const { stdout } = await execa(
    process.execPath,
    [
      "--import",
      "tsx",
      APPLY_GITOPS,
      "--config-file",
      file,
      "--cluster-name",
      "e2e",
      "--namespace",
      installNs,
      "--dry-run",
    ],
    { env },
  );
  const objects = yaml.loadAll(stdout) as { kind: string }[];
  // No pod: the test runs the controller itself, as the install's ServiceAccount.
  const kept = objects.filter((object) => object && object.kind !== "DaemonSet");
  await kubectl(["apply", "--server-side", "--field-manager=simple-gitops-install", "-f", "-"], {
    input: kept.map((object) => `---\n${yaml.dump(object)}`).join(""),
  });
}

/** serviceAccountKubeconfig is a kubeconfig for the test cluster that authenticates as the controller's ServiceAccount. */
export async function serviceAccountKubeconfig(installNs: string, dir: string): Promise<string> {
  const token = (
    await kubectl(["-n", installNs, "create", "token", "gitops-controller", "--duration=1h"])
  ).trim();
  const admin = yaml.load(await readFile(kubeconfigPath(), "utf8")) as {
    clusters: { name: string; cluster: Record<string, unknown> }[];
  };
  const cluster = admin.clusters[0];
  if (!cluster) throw new Error("no cluster in the test kubeconfig");
  const path = join(dir, `sa-${unique()}.kubeconfig`);
  await writeFile(
    path,
    yaml.dump({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "e2e", cluster: cluster.cluster }],
      users: [{ name: "gitops-controller", user: { token } }],
      contexts: [{ name: "sa", context: { cluster: "e2e", user: "gitops-controller" } }],
      "current-context": "sa",
    }),
  );
  return path;
}

/** OnceRun is how a `--once` run ended: its exit code, its log, and the state it saved. */
export interface OnceRun {
  exitCode: number | undefined;
  stderr: string;
  state: ControllerState;
}

/** runOnce runs `controller/main.ts --once` on `configYaml` with only `env` (and PATH), on a fresh state. */
export async function runOnce(configYaml: string, env: Record<string, string>): Promise<OnceRun> {
  const dir = await mkdtemp(join(tmpdir(), "controller-once-"));
  try {
    const configPath = join(dir, "gitops-config.yaml");
    await writeFile(configPath, configYaml);
    const stateDir = join(dir, "state");
    const result = await execa(
      process.execPath,
      ["--import", "tsx", MAIN, "--config", configPath, "--once", "--state-dir", stateDir],
      {
        env: { PATH: process.env.PATH ?? "", ...env },
        reject: false,
        timeout: 150_000,
        forceKillAfterDelay: 1_000,
      },
    );
    const stateText = await readFile(join(stateDir, "state.json"), "utf8").catch(() => undefined);
    if (stateText === undefined) {
      throw new Error(
        `--once exited ${result.exitCode} without a state; stderr: ${String(result.stderr).slice(-3000)}`,
      );
    }
    return {
      exitCode: result.exitCode,
      stderr: String(result.stderr),
      state: JSON.parse(stateText) as ControllerState,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

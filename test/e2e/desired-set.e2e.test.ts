import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ControllerState } from "../../controller/record/state/state.js";
import type { GitRepo } from "../github-server/git-repo.js";
import { createGitHubWorld, type GitHubWorld } from "../github-server/harness.js";
import {
  createTestNamespace,
  kubeconfigPath,
  kubectl,
  kubectlJson,
  type TestNamespace,
  waitFor,
} from "./cluster.js";
import { type ControllerProcess, startController } from "./controller-process.js";

// One desired set per service: a service's whole directory at one commit is read, rendered, applied, checked for
// health and recorded together, through the GitHub test server and real controller processes on the test cluster.

const MAIN = new URL("../../controller/main.ts", import.meta.url).pathname;
const MANAGED = "app.kubernetes.io/managed-by=simple-gitops";
const TOKEN = "t0ken";

let world: GitHubWorld;
const namespaces: TestNamespace[] = [];
const nodes: string[] = [];

beforeAll(async () => {
  world = await createGitHubWorld();
});
afterAll(async () => {
  await world?.close();
  // Namespaces first, so no pod of ours is left bound to a Node that is going away.
  await Promise.all(namespaces.map((ns) => ns.cleanup()));
  for (const node of nodes) await kubectl(["delete", "node", node, "--wait=false", "--ignore-not-found"]);
});

const unique = () => randomBytes(3).toString("hex");

async function namespace(prefix: string): Promise<TestNamespace> {
  const ns = await createTestNamespace(prefix);
  namespaces.push(ns);
  return ns;
}

/** newRepo serves a fresh git repository as `org/{name}`. */
const newRepo = (name: string): Promise<GitRepo> => world.addRepo("org", name, TOKEN);

const env = () => ({ KUBECONFIG: kubeconfigPath(), GH_TOKEN: TOKEN, PATH: process.env.PATH ?? "" });

interface ServiceSpec {
  name: string;
  dir: string;
  namespace: string;
}

const config = (
  repoName: string,
  services: readonly ServiceSpec[],
  extra: { applyer?: string; pollInterval?: string; healthTimeout?: string } = {},
) => `
github_configs:
  gitops: { repo_owner: org, repo_name: ${repoName}, token_env: GH_TOKEN, api_url: "${world.server.url}" }
services:
${services
  .map(
    (s) =>
      `  - { name: ${s.name}, github: gitops, k8s_yaml_dir: ${s.dir}, namespace: ${s.namespace}, stateless: false }`,
  )
  .join("\n")}
poll_interval: ${extra.pollInterval ?? "1h"}
listen: "127.0.0.1:0"
applyers: [${extra.applyer ?? "kubectl"}]
health_timeout: ${extra.healthTimeout ?? "60s"}
`;

interface OnceRun {
  exitCode: number | undefined;
  stderr: string;
  state: ControllerState;
}

/**
 * runOnce runs `controller/main.ts --config F --once` as a child process (as `npm run controller -- ... --once`
 * does) with its own state directory, and returns its exit code, its logs and the state it saved.
 */
async function runOnce(configYaml: string): Promise<OnceRun> {
  const dir = await mkdtemp(join(tmpdir(), "desired-set-e2e-"));
  try {
    const configPath = join(dir, "gitops-config.yaml");
    await writeFile(configPath, configYaml);
    const stateDir = join(dir, "state");
    const child = execa(
      process.execPath,
      ["--import", "tsx", MAIN, "--config", configPath, "--once", "--state-dir", stateDir],
      { env: env(), reject: false, timeout: 150_000, forceKillAfterDelay: 1_000 },
    );
    const result = await child;
    const stateText = await readFile(join(stateDir, "state.json"), "utf8").catch(() => undefined);
    if (stateText === undefined) {
      throw new Error(
        `--once exited ${result.exitCode} without saving a state; stderr: ${String(result.stderr).slice(-3000)}`,
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

interface LiveConfigMap {
  metadata: { name: string; annotations?: Record<string, string> };
  data?: Record<string, string>;
}

const managedConfigMaps = async (ns: string) =>
  (await kubectlJson<{ items: LiveConfigMap[] }>(["-n", ns, "get", "configmaps", "-l", MANAGED])).items;

const configMapData = async (ns: string, name: string) =>
  (await kubectlJson<LiveConfigMap>(["-n", ns, "get", "configmap", name])).data ?? {};

interface ServiceView {
  name: string;
  state: "deployed" | "failed" | "pending";
  last_commit_id: string;
  last_error: { message: string; code: string; at: string; commit: string } | null;
  failures: number;
  last_deploy_time: string;
  objects: {
    apiVersion: string;
    kind: string;
    namespace: string;
    name: string;
    action: string;
    health?: string;
  }[];
}

interface ReposView {
  count: number;
  repos: { repo: string; last_commit_id: string; services: string[]; service_count: number }[];
}

const serviceView = async (controller: ControllerProcess, name: string) =>
  (await (await fetch(`${controller.url}/v1/gitops/services/${name}`)).json()) as ServiceView;

const reposView = async (controller: ControllerProcess) =>
  (await (await fetch(`${controller.url}/v1/gitops/repos`)).json()) as ReposView;

/** bigConfigMapList is one YAML `List` of `count` ConfigMaps of `bytes` bytes of data each. */
function bigConfigMapList(
  prefix: string,
  count: number,
  bytes: number,
): { text: string; sizes: Map<string, number> } {
  const sizes = new Map<string, number>();
  const items: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `${prefix}-${String(i).padStart(2, "0")}`;
    // Distinct content per object, so nothing can pass by repeating one object.
    const blob = `${name}:${randomBytes(bytes / 2).toString("hex")}`.slice(0, bytes);
    sizes.set(name, blob.length);
    items.push(
      `  - apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: ${name}\n    data:\n      blob: "${blob}"\n`,
    );
  }
  return { text: `apiVersion: v1\nkind: List\nitems:\n${items.join("")}`, sizes };
}

const smallConfigMap = (name: string, value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  value: "${value}"\n`;

describe("one desired set per service, through real controller processes", () => {
  it.each([
    "kubectl",
    "api",
  ])("applies a multi-megabyte List among dozens of small files whole with --once (%s applyer)", async (applyer) => {
    const ns = await namespace(`desired-big-${applyer}`);
    const repo = await newRepo(`big-${applyer}`);
    const svc = `big-${unique()}`;
    const files: Record<string, string> = {};
    // name -> data size (single key) of every object git describes.
    const expected = new Map<string, number>();
    const big = bigConfigMapList(`${svc}-big`, 40, 60_000);
    files["app/00-big-list.yaml"] = big.text;
    for (const [name, size] of big.sizes) expected.set(name, size);
    // 32 files of one object each.
    for (let i = 0; i < 32; i++) {
      const name = `${svc}-small-${String(i).padStart(2, "0")}`;
      files[`app/small-${String(i).padStart(2, "0")}.yaml`] = smallConfigMap(name, `v${i}`);
      expected.set(name, `v${i}`.length);
    }
    // 3 multi-document files of two objects each, one with a trailing separator.
    for (let i = 0; i < 3; i++) {
      const a = `${svc}-multi-${i}-a`;
      const b = `${svc}-multi-${i}-b`;
      files[`app/multi-${i}.yml`] = `${smallConfigMap(a, "a")}---\n${smallConfigMap(b, "b")}---\n`;
      expected.set(a, 1);
      expected.set(b, 1);
    }
    // A Kubernetes object as JSON, and a ConfigMapList as JSON.
    files["app/object.json"] = JSON.stringify({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: `${svc}-json` },
      data: { value: "json" },
    });
    expected.set(`${svc}-json`, 4);
    files["app/nested/list.json"] = JSON.stringify({
      apiVersion: "v1",
      kind: "ConfigMapList",
      items: [0, 1, 2].map((i) => ({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: `${svc}-jsonlist-${i}` },
        data: { value: `item-${i}` },
      })),
    });
    for (const i of [0, 1, 2]) expected.set(`${svc}-jsonlist-${i}`, `item-${i}`.length);
    const fileCount = Object.keys(files).length;
    expect(fileCount).toBeGreaterThanOrEqual(30);
    expect(Buffer.byteLength(big.text)).toBeGreaterThan(2_000_000);
    const head = await repo.commit(files);

    const run = await runOnce(
      config(`big-${applyer}`, [{ name: svc, dir: "app", namespace: ns.name }], { applyer }),
    );
    expect(run.exitCode, run.stderr.slice(-3000)).toBe(0);

    const live = await managedConfigMaps(ns.name);
    const liveSizes = new Map(
      live.map((cm) => [
        cm.metadata.name,
        Object.values(cm.data ?? {}).reduce((sum, v) => sum + v.length, 0),
      ]),
    );
    expect(live.length).toBe(expected.size);
    expect(liveSizes).toEqual(expected);
    // Every object says which file of git it came from.
    const sources = new Set(live.map((cm) => cm.metadata.annotations?.["simple-gitops.io/source-path"]));
    expect(sources).toEqual(new Set(Object.keys(files)));

    const service = run.state.services[svc];
    expect(service?.lastError).toBeUndefined();
    expect(service?.commit).toBe(head);
    expect(Object.keys(service?.files ?? {}).sort()).toEqual(Object.keys(files).sort());
    expect(service?.objects.length).toBe(expected.size);
    expect(new Set(service?.objects.map((o) => o.action))).toEqual(new Set(["created"]));
    expect(run.state.repos.gitops?.commit).toBe(head);
    expect(expected.size).toBe(40 + 32 + 6 + 1 + 3);
  });

  it("merges {svc}-config from the YAML-declared ConfigMap and the .json files, whichever of them changes", async () => {
    const ns = await namespace("desired-config");
    const repo = await newRepo("config");
    const svc = `cfg-${unique()}`;
    // `when` is left unquoted on purpose: under YAML 1.1 it would be a timestamp.
    const declared = (fromYaml: string) =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${svc}-config\ndata:\n  from-yaml: "${fromYaml}"\n  when: 2024-01-01\n`;
    const settings = (level: string) => `{"level": "${level}"}\n`;
    const first = await repo.commit({
      "app/config.yaml": declared("1"),
      "app/settings.json": settings("info"),
      "app/other.yaml": smallConfigMap(`${svc}-other`, "x"),
    });
    const controller = await startController(
      config("config", [{ name: svc, dir: "app", namespace: ns.name }], { pollInterval: "1s" }),
      env(),
    );
    try {
      const landedAt = (commit: string, what: string) =>
        waitFor(
          async () => {
            const view = await serviceView(controller, svc);
            return view.state === "deployed" && view.last_commit_id === commit ? view : undefined;
          },
          { timeoutMs: 60_000, what },
        );

      await landedAt(first, "the first sync");
      expect(await configMapData(ns.name, `${svc}-config`)).toEqual({
        "from-yaml": "1",
        when: "2024-01-01",
        "settings.json": settings("info"),
      });

      // Only the JSON changes: the keys declared in YAML stay.
      const jsonOnly = await repo.commit({ "app/settings.json": settings("debug") });
      const afterJson = await landedAt(jsonOnly, "the commit changing only settings.json");
      expect(await configMapData(ns.name, `${svc}-config`)).toEqual({
        "from-yaml": "1",
        when: "2024-01-01",
        "settings.json": settings("debug"),
      });
      expect(afterJson.objects.find((o) => o.name === `${svc}-config`)?.action).toBe("configured");

      // Only the YAML changes: the key from the JSON file stays.
      const yamlOnly = await repo.commit({ "app/config.yaml": declared("2") });
      const afterYaml = await landedAt(yamlOnly, "the commit changing only config.yaml");
      expect(await configMapData(ns.name, `${svc}-config`)).toEqual({
        "from-yaml": "2",
        when: "2024-01-01",
        "settings.json": settings("debug"),
      });
      expect(afterYaml.objects.find((o) => o.name === `${svc}-config`)?.action).toBe("configured");
      expect((await reposView(controller)).repos[0]?.last_commit_id).toBe(yamlOnly);
    } finally {
      controller.process.kill("SIGKILL");
    }
  });

  it("keeps a service with an unavailable Deployment failed, then records the same head once it becomes available", async () => {
    const ns = await namespace("desired-health");
    const repo = await newRepo("health");
    const pool = `pool-${unique()}`;
    const slow = `slow-${unique()}`;
    const fine = `fine-${unique()}`;
    const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${slow} }
spec:
  replicas: 1
  selector: { matchLabels: { app: ${slow} } }
  template:
    metadata: { labels: { app: ${slow} } }
    spec:
      nodeSelector: { simple-gitops-test/pool: ${pool} }
      containers: [{ name: web, image: nginx:1.27 }]
`;
    const head = await repo.commit({
      "slow/deploy.yaml": deployment,
      "slow/settings.yaml": smallConfigMap(`${slow}-settings`, "1"),
      "fine/settings.yaml": smallConfigMap(`${fine}-settings`, "1"),
    });
    const controller = await startController(
      config(
        "health",
        [
          { name: slow, dir: "slow", namespace: ns.name },
          { name: fine, dir: "fine", namespace: ns.name },
        ],
        { pollInterval: "2s", healthTimeout: "5s" },
      ),
      env(),
    );
    try {
      // Every look at /v1/gitops/repos while the Deployment is unavailable must not name the head.
      // Every look at the service until then must find it pending or failed, with no commit recorded; a view that
      // records one ends the wait at once, to fail below.
      const repoCommits: string[] = [];
      const seen = new Set<string>();
      const failedView = await waitFor(
        async () => {
          repoCommits.push((await reposView(controller)).repos[0]?.last_commit_id ?? "?");
          const view = await serviceView(controller, slow);
          seen.add(`${view.state} ${view.last_commit_id || "-"}`);
          return view.failures >= 2 || view.last_commit_id !== "" ? view : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 500, what: `${slow} to fail twice` },
      );
      expect(failedView.state).toBe("failed");
      expect(failedView.last_commit_id).toBe("");
      expect(failedView.last_error?.code).toBe("E_UNHEALTHY");
      expect(failedView.last_error?.commit).toBe(head);
      expect(failedView.last_error?.message).toContain(
        `slow/deploy.yaml: Deployment ${ns.name}/${slow}: timed out after 5000ms`,
      );
      expect(failedView.objects.find((o) => o.kind === "Deployment")?.health).toBeTruthy();
      // The rest of its set landed in the cluster; only the commit is not recorded.
      expect(await configMapData(ns.name, `${slow}-settings`)).toEqual({ value: "1" });
      // The healthy service of the same repository landed at the head.
      const fineView = await serviceView(controller, fine);
      expect([fineView.state, fineView.last_commit_id]).toEqual(["deployed", head]);
      expect(repoCommits.length).toBeGreaterThan(0);
      expect(repoCommits.filter((commit) => commit !== "")).toEqual([]);
      expect([...seen].filter((view) => view !== "pending -" && view !== "failed -")).toEqual([]);

      // A Node in the Deployment's pool, made the way scripts/test-cluster.sh makes its fake nodes.
      const node = `pool-node-${unique()}`;
      nodes.push(node);
      await kubectl(["apply", "-f", "-"], {
        input: `apiVersion: v1
kind: Node
metadata:
  name: ${node}
  annotations: { kwok.x-k8s.io/node: fake }
  labels:
    type: kwok
    kubernetes.io/hostname: ${node}
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    simple-gitops-test/pool: ${pool}
`,
      });
      const deployedView = await waitFor(
        async () => {
          const view = await serviceView(controller, slow);
          return view.state === "deployed" ? view : undefined;
        },
        { timeoutMs: 90_000, intervalMs: 500, what: `${slow} to be deployed once its pods can run` },
      );
      expect(await repo.head()).toBe(head);
      expect(deployedView.last_commit_id).toBe(head);
      expect(deployedView.last_error).toBeNull();
      expect(deployedView.failures).toBe(0);
      // It landed on a retry that found everything already applied: still, that is when it was deployed.
      expect(deployedView.last_deploy_time).not.toBe("");
      expect(deployedView.objects.find((o) => o.kind === "Deployment")?.health).toBeUndefined();
      const live = await kubectlJson<{ status: { availableReplicas?: number } }>([
        "-n",
        ns.name,
        "get",
        "deployment",
        slow,
      ]);
      expect(live.status.availableReplicas).toBe(1);
      expect((await reposView(controller)).repos[0]).toMatchObject({
        repo: "org/health",
        last_commit_id: head,
        services: [slow, fine],
      });
    } finally {
      controller.process.kill("SIGKILL");
    }
  });

  it("fails only the services with an unusable file, naming it, and applies nothing of them (--once exits 1)", async () => {
    const ns = await namespace("desired-unusable");
    const repo = await newRepo("unusable");
    const id = unique();
    const binary = `binary-${id}`;
    const broken = `broken-${id}`;
    const kustomize = `kustomize-${id}`;
    const huge = `huge-${id}`;
    const good = `good-${id}`;
    // A PNG header: NUL bytes, not text, whatever the name says.
    const png = new Uint8Array([
      0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52,
    ]);
    const services = [binary, broken, kustomize, huge, good];
    const head = await repo.commit({
      [`${binary}/logo.yaml`]: png,
      [`${binary}/settings.yaml`]: smallConfigMap(`${binary}-settings`, "1"),
      [`${broken}/broken.yaml`]: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n",
      [`${broken}/settings.yaml`]: smallConfigMap(`${broken}-settings`, "1"),
      [`${kustomize}/kustomization.yaml`]: "resources: [settings.yaml, missing.yaml]\n",
      [`${kustomize}/settings.yaml`]: smallConfigMap(`${kustomize}-settings`, "1"),
      // Over 10 MiB: a comment, so only its size makes it unusable.
      [`${huge}/bundle.yaml`]: `# ${"x".repeat(10 * 1024 * 1024)}\n${smallConfigMap(`${huge}-bundle`, "1")}`,
      [`${huge}/settings.yaml`]: smallConfigMap(`${huge}-settings`, "1"),
      [`${good}/settings.yaml`]: smallConfigMap(`${good}-settings`, "1"),
    });

    const run = await runOnce(
      config(
        "unusable",
        services.map((name) => ({ name, dir: name, namespace: ns.name })),
      ),
    );
    expect(run.exitCode, run.stderr.slice(-3000)).toBe(1);

    const errorOf = (name: string) => run.state.services[name]?.lastError;
    expect(errorOf(binary)).toMatchObject({ code: "E_SOURCE_FILE_UNUSABLE", commit: head });
    expect(errorOf(binary)?.message).toContain(`${binary}/logo.yaml`);
    expect(errorOf(broken)).toMatchObject({ code: "E_MANIFEST_PARSE", commit: head });
    expect(errorOf(broken)?.message).toContain(`${broken}/broken.yaml`);
    expect(errorOf(kustomize)).toMatchObject({ code: "E_KUSTOMIZE_BUILD", commit: head });
    expect(errorOf(kustomize)?.message).toContain(`${kustomize}/kustomization.yaml`);
    expect(errorOf(huge)).toMatchObject({ code: "E_SOURCE_FILE_UNUSABLE", commit: head });
    expect(errorOf(huge)?.message).toContain(`${huge}/bundle.yaml`);
    for (const name of [binary, broken, kustomize, huge]) {
      expect(run.state.services[name]?.commit, name).toBeUndefined();
      expect(run.state.services[name]?.objects, name).toEqual([]);
    }
    expect(run.state.services[good]?.lastError).toBeUndefined();
    expect(run.state.services[good]?.commit).toBe(head);
    // The repository is not at the head while some of its services are not.
    expect(run.state.repos.gitops).toBeUndefined();

    // In the cluster: the good service's object, and nothing of the others.
    const live = (await managedConfigMaps(ns.name)).map((cm) => cm.metadata.name);
    expect(live).toEqual([`${good}-settings`]);
  });
});

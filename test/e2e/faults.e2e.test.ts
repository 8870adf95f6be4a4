import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

const SCRIPT = new URL("../../scripts/test-cluster.sh", import.meta.url).pathname;

/** cluster runs a fault subcommand of scripts/test-cluster.sh on the shared test cluster (see its --help). */
async function cluster(action: "pause" | "resume" | "kill" | "restart", component: string): Promise<void> {
  await execa("bash", [SCRIPT, action, component], {
    env: { ...process.env, SIMPLE_GITOPS_CLUSTER_DIR: join(kubeconfigPath(), "..") },
  });
}

const configMap = (name: string, value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name} }\ndata: { value: "${value}" }\n`;

interface ServiceJson {
  state: string;
  last_commit_id: string;
  last_error: { code: string; message: string } | null;
}

let world: GitHubWorld;
let repo: GitRepo;
let ns: TestNamespace;

beforeAll(async () => {
  world = await createGitHubWorld();
  repo = await world.addRepo("org", "gitops", "t0ken");
  ns = await createTestNamespace("faults");
});
afterAll(async () => {
  await world?.close();
  await ns?.cleanup();
});

const config = (namespaces: { a: string; b: string }) => `
github_configs:
  gitops: { repo_owner: org, repo_name: gitops, token_env: GH_TOKEN, api_url: "${world.server.url}" }
services:
  - { name: a, github: gitops, k8s_yaml_dir: a, namespace: ${namespaces.a}, stateless: false }
  - { name: b, github: gitops, k8s_yaml_dir: b, namespace: ${namespaces.b}, stateless: false }
poll_interval: 2s
apply_timeout: 8s
health_timeout: 0
listen: "127.0.0.1:0"
applyers: [kubectl]
prune: true
`;

const env = (kubeconfig = kubeconfigPath()) => ({
  KUBECONFIG: kubeconfig,
  GH_TOKEN: "t0ken",
  PATH: process.env.PATH ?? "",
});

const service = async (controller: ControllerProcess, name: string) =>
  (await (await fetch(`${controller.url}/v1/gitops/services/${name}`)).json()) as ServiceJson;

const names = async (namespace: string) =>
  (
    await kubectl([
      "-n",
      namespace,
      "get",
      "configmaps",
      "-l",
      "app.kubernetes.io/managed-by=simple-gitops",
      "-o",
      "name",
    ])
  )
    .split("\n")
    .filter(Boolean)
    .sort();

const value = async (namespace: string, name: string) =>
  (await kubectlJson<{ data: { value: string } }>(["-n", namespace, "get", "configmap", name])).data.value;

/**
 * outage runs one cluster fault: it breaks the cluster, commits `change`, waits until both services report a failed
 * sync of it, and always repairs the cluster, however the wait ended. It returns the errors the services reported
 * and how long the cluster was broken.
 */
async function outage(
  controller: ControllerProcess,
  fault: { break: () => Promise<void>; repair: () => Promise<void> },
  change: Record<string, string | null>,
): Promise<{ commit: string; errors: Record<string, ServiceJson["last_error"]>; brokenMs: number }> {
  const broke = Date.now();
  await fault.break();
  try {
    const commit = await repo.commit(change);
    const errors = await waitFor(
      async () => {
        const [a, b] = [await service(controller, "a"), await service(controller, "b")];
        return a.state === "failed" && b.state === "failed"
          ? { a: a.last_error, b: b.last_error }
          : undefined;
      },
      { timeoutMs: 25_000, what: "both services to report the outage" },
    );
    return { commit, errors, brokenMs: Date.now() - broke };
  } finally {
    await fault.repair();
  }
}

describe("cluster faults against a real controller process", () => {
  let controller: ControllerProcess;
  let step = 0;
  beforeAll(async () => {
    await repo.commit({
      "a/one.yaml": configMap("a-1", "0"),
      "a/two.yaml": configMap("a-2", "0"),
      "b/one.yaml": configMap("b-1", "0"),
      "b/two.yaml": configMap("b-2", "0"),
    });
    controller = await startController(config({ a: ns.name, b: ns.name }), env());
    await waitFor(async () => (await names(ns.name)).length === 4, {
      timeoutMs: 60_000,
      what: "the first sync",
    });
  });
  afterAll(async () => {
    await controller?.stop("SIGKILL");
  });

  const faults = [
    {
      name: "kube-apiserver frozen (SIGSTOP)",
      break: () => cluster("pause", "kube-apiserver"),
      repair: () => cluster("resume", "kube-apiserver"),
    },
    {
      name: "kube-apiserver killed (kill -9) and started again",
      break: () => cluster("kill", "kube-apiserver"),
      repair: () => cluster("restart", "kube-apiserver"),
    },
    {
      name: "etcd frozen (SIGSTOP)",
      break: () => cluster("pause", "etcd"),
      repair: () => cluster("resume", "etcd"),
    },
  ];
  it.each(
    faults,
  )("$name: both services fail with an error, nothing is deleted, then they converge", async (fault) => {
    step++;
    const before = await names(ns.name);
    const { commit, errors, brokenMs } = await outage(controller, fault, {
      "a/one.yaml": configMap("a-1", String(step)),
      "b/one.yaml": configMap("b-1", String(step)),
    });
    expect(brokenMs).toBeLessThan(40_000);
    for (const error of Object.values(errors)) {
      expect(error?.code).toMatch(/^E_/);
      expect(error?.message.length).toBeGreaterThan(0);
    }
    // Right after the repair, before any sync could land: every object is still there.
    expect(await names(ns.name)).toEqual(before);
    await waitFor(
      async () =>
        (await service(controller, "a")).last_commit_id === commit &&
        (await service(controller, "b")).last_commit_id === commit,
      { timeoutMs: 90_000, what: "both services to land once the cluster is back" },
    );
    expect([await value(ns.name, "a-1"), await value(ns.name, "b-1")]).toEqual([String(step), String(step)]);
    expect(await names(ns.name)).toEqual(before);
    expect((await service(controller, "a")).state).toBe("deployed");
    // The figures docs/reliability.md reports.
    console.info(`${fault.name}: broken ${brokenMs} ms; a: ${errors.a?.code} ${errors.a?.message}`);
  });
});

describe("an RBAC denial", () => {
  let denied: TestNamespace;
  let controller: ControllerProcess | undefined;
  beforeAll(async () => {
    denied = await createTestNamespace("faults-denied");
  });
  afterAll(async () => {
    await controller?.stop("SIGKILL");
    await denied?.cleanup();
  });

  it("fails only the service whose namespace the controller may not write, naming the object", async () => {
    // An identity that may manage ConfigMaps in ns and nothing in the denied namespace.
    const sa = "gitops-limited";
    await kubectl(["-n", ns.name, "create", "serviceaccount", sa]);
    await kubectl([
      "-n",
      ns.name,
      "create",
      "role",
      sa,
      "--verb=get,list,watch,create,update,patch,delete",
      "--resource=configmaps",
    ]);
    await kubectl([
      "-n",
      ns.name,
      "create",
      "rolebinding",
      sa,
      `--role=${sa}`,
      `--serviceaccount=${ns.name}:${sa}`,
    ]);
    const token = await kubectl(["-n", ns.name, "create", "token", sa, "--duration=10m"]);
    const kubeconfig = join(tmpdir(), `faults-${ns.name}.kubeconfig`);
    const admin = await kubectl(["config", "view", "--raw", "--minify", "--flatten", "-o", "json"]);
    const parsed = JSON.parse(admin) as {
      clusters: { name: string; cluster: Record<string, string> }[];
    };
    const clusterEntry = parsed.clusters[0];
    if (!clusterEntry) throw new Error("the admin kubeconfig has no cluster");
    await writeFile(
      kubeconfig,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [clusterEntry],
        users: [{ name: sa, user: { token } }],
        contexts: [{ name: sa, context: { cluster: clusterEntry.name, user: sa } }],
        "current-context": sa,
      }),
    );
    const repoState = await repo.commit({
      "a/one.yaml": configMap("a-1", "rbac"),
      "b/one.yaml": configMap("b-1", "rbac"),
    });
    controller = await startController(config({ a: ns.name, b: denied.name }), env(kubeconfig));
    const [a, b] = await waitFor(
      async () => {
        const both = [
          await service(controller as ControllerProcess, "a"),
          await service(controller as ControllerProcess, "b"),
        ];
        return both.every((s) => s.last_commit_id === repoState || s.state === "failed") ? both : undefined;
      },
      { timeoutMs: 60_000, what: "a to land and b to fail" },
    );
    expect(a?.state).toBe("deployed");
    expect(b?.state).toBe("failed");
    expect(b?.last_error?.message).toMatch(/forbidden/i);
    expect(b?.last_error?.message).toContain("b-1");
    expect(await value(ns.name, "a-1")).toBe("rbac");
    console.info(`RBAC denial: b: ${b?.last_error?.code} ${b?.last_error?.message}`);
  });
});

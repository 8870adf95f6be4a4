import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import yaml from "js-yaml";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { memberLeaseName } from "../../controller/fleet/member-lease.js";
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
import { availableRealNode, onRealNode, requireRealNode } from "./real-node.js";

// The installed controller on the real node: the image built from this checkout (scripts/images/build.sh controller,
// the Dockerfile's steps), `apply-gitops --dry-run | kubectl apply -f -`, the DaemonSet's pod running with its
// ServiceAccount and in-cluster config, syncing a repository of the GitHub test server over the pod network.

const ROOT = new URL("../../", import.meta.url).pathname;
const TOKEN = "t0ken-install";

interface Pod {
  metadata: { name: string };
  spec: { nodeName?: string };
  status: { phase: string; conditions?: { type: string; status: string }[] };
}

/** relay forwards TCP from `host` to a port on 127.0.0.1, where the GitHub test server listens, for the pod network. */
async function relay(host: string, targetPort: number): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    const upstream = connect(targetPort, "127.0.0.1");
    socket.pipe(upstream).pipe(socket);
    const close = () => {
      socket.destroy();
      upstream.destroy();
    };
    socket.on("error", close);
    upstream.on("error", close);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { server, port: (server.address() as { port: number }).port };
}

/** placed moves the controller's DaemonSet from the management nodes (KWOK's mgmt-0 here) onto the real node. */
function placed(stream: string): string {
  return yaml
    .loadAll(stream)
    .filter((doc): doc is Record<string, unknown> => doc !== null && typeof doc === "object")
    .map((doc) => {
      if (doc.kind === "DaemonSet") {
        const spec = (doc as { spec: { template: { spec: Record<string, unknown> } } }).spec.template.spec;
        delete spec.affinity;
        spec.nodeSelector = onRealNode.nodeSelector;
        spec.tolerations = [...((spec.tolerations as object[] | undefined) ?? []), ...onRealNode.tolerations];
      }
      return yaml.dump(doc, { noRefs: true });
    })
    .join("---\n");
}

let world: GitHubWorld;
let repo: GitRepo;
let target: TestNamespace;
let installNs: string;
let dir: string;
let forward: { server: Server; port: number } | undefined;

const controllerPods = async () =>
  (
    await kubectlJson<{ items: Pod[] }>([
      "-n",
      installNs,
      "get",
      "pods",
      "-l",
      "app.kubernetes.io/name=gitops-controller",
    ])
  ).items;

const settings = (value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: settings }\ndata: { value: "${value}" }\n`;

describe("the installed controller on the real node", () => {
  beforeAll(async () => {
    const node = availableRealNode();
    if (!node) return;
    // The image, from this checkout; cached by a digest of its sources, so only a changed checkout rebuilds it.
    const built = await execa(join(ROOT, "scripts/images/build.sh"), ["controller"], { stderr: "inherit" });
    const [archive, reference] = built.stdout.trim().split(" ");
    await execa(join(ROOT, "scripts/test-cluster.sh"), [
      "real-node",
      "import",
      archive ?? "",
      reference ?? "",
    ]);

    world = await createGitHubWorld();
    repo = await world.addRepo("org", "installed", TOKEN);
    await repo.commit({ "app/settings.yaml": settings("one") });
    forward = await relay(node.hostIp, Number(new URL(world.server.url).port));
    target = await createTestNamespace("real-install");
    installNs = `${target.name}-ctl`;
    dir = await mkdtemp(join(tmpdir(), "real-install-"));
    const config = join(dir, "gitops-config.yaml");
    await writeFile(
      config,
      `github_configs:
  installed: { repo_owner: org, repo_name: installed, token_env: GITHUB_TOKEN, api_url: "http://${node.hostIp}:${forward.port}" }
services:
  - { name: demo, github: installed, k8s_yaml_dir: app, namespace: ${target.name}, stateless: false }
namespaces: [${target.name}]
poll_interval: 2s
`,
    );
    const install = await execa(
      process.execPath,
      [
        "--import",
        "tsx",
        join(ROOT, "apply-gitops.ts"),
        "--config-file",
        config,
        "--cluster-name",
        "e2e",
        "--namespace",
        installNs,
        "--dry-run",
      ],
      { env: { GITHUB_TOKEN: TOKEN } },
    );
    await kubectl(["apply", "-f", "-"], { input: placed(install.stdout) });
  }, 300_000);

  beforeEach((context) => {
    requireRealNode(context);
  });

  afterAll(async () => {
    if (installNs) await kubectl(["delete", "namespace", installNs, "--wait=false", "--ignore-not-found"]);
    await target?.cleanup();
    forward?.server.close();
    await world?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  // state and sharding are left unset, as most configs leave them: apply-gitops installs state: configmap, and with it
  // the pod is a member of the fleet, in a Lease of its own, not a candidate for the leader Lease.
  it("runs the DaemonSet's pod on the real node, Ready by its probes, holding its member Lease", async (context) => {
    const node = requireRealNode(context);
    const [pod] = await waitFor(
      async () => {
        const pods = await controllerPods();
        const ready = pods[0]?.status.conditions?.some((c) => c.type === "Ready" && c.status === "True");
        return pods.length === 1 && ready && pods;
      },
      {
        timeoutMs: 120_000,
        what: "the controller pod to be Ready",
        describe: async () =>
          `${JSON.stringify(await controllerPods())}\n${await kubectl(["-n", installNs, "logs", "-l", "app.kubernetes.io/name=gitops-controller", "--tail=20"]).catch(String)}`,
      },
    );
    expect(pod?.spec.nodeName).toBe(node.name);
    const name = pod?.metadata.name ?? "";
    const lease = await waitFor(
      async () =>
        (
          await kubectlJson<{ spec: { holderIdentity?: string } }>([
            "-n",
            installNs,
            "get",
            "lease",
            memberLeaseName(name),
          ])
        ).spec.holderIdentity,
      { timeoutMs: 60_000, what: "the pod's member Lease" },
    );
    expect(lease).toBe(name);
    expect(await kubectl(["-n", installNs, "get", "lease", "-o", "name"])).toBe(
      `lease.coordination.k8s.io/${memberLeaseName(name)}`,
    );
  });

  it("syncs the repository from the GitHub test server over the pod network and records it", async () => {
    const head = await repo.head();
    await waitFor(
      async () =>
        (await kubectlJson<{ data: { value: string } }>(["-n", target.name, "get", "configmap", "settings"]))
          .data.value === "one",
      { timeoutMs: 90_000, what: "the installed controller's first sync" },
    );
    const commit = await repo.commit({ "app/settings.yaml": settings("two") });
    await waitFor(
      async () =>
        (await kubectlJson<{ data: { value: string } }>(["-n", target.name, "get", "configmap", "settings"]))
          .data.value === "two",
      { timeoutMs: 60_000, what: "the next commit to be applied" },
    );
    expect(commit).not.toBe(head);
    const state = await waitFor(
      async () => {
        const data = (
          await kubectlJson<{ data?: Record<string, string> }>([
            "-n",
            installNs,
            "get",
            "configmap",
            "simple-gitops-state",
          ])
        ).data;
        return Object.values(data ?? {}).some((text) => text.includes(commit)) && data;
      },
      { timeoutMs: 30_000, what: "the state ConfigMap to record the commit" },
    );
    expect(Object.keys(state).length).toBeGreaterThan(0);
  });

  it("is denied by RBAC what the README says it is denied, from inside its pod", async () => {
    const [pod] = await controllerPods();
    // kubectl in the image, with the pod's in-cluster config: its ServiceAccount token, through the kubernetes Service.
    const canI = async (...args: string[]) =>
      (
        await execa(
          "kubectl",
          [
            "--kubeconfig",
            kubeconfigPath(),
            "-n",
            installNs,
            "exec",
            `pod/${pod?.metadata.name}`,
            "--",
            "kubectl",
            "auth",
            "can-i",
            ...args,
          ],
          { reject: false },
        )
      ).stdout.trim();
    expect(await canI("create", "deployments.apps", "-n", target.name)).toBe("yes");
    expect(await canI("update", "leases.coordination.k8s.io", "-n", installNs)).toBe("yes");
    expect(await canI("list", "leases.coordination.k8s.io", "-n", installNs)).toBe("yes");
    expect(await canI("list", "secrets", "-n", target.name)).toBe("no");
    expect(await canI("get", "secrets", "-n", "kube-system")).toBe("no");
    expect(await canI("create", "deployments.apps", "-n", "default")).toBe("no");
    expect(await canI("create", "namespaces")).toBe("no");
    expect(await canI("get", "configmaps/gitops-config", "-n", installNs)).toBe("no");
  });
});

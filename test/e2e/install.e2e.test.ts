import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestNamespace,
  kubeconfigPath,
  kubectl,
  kubectlJson,
  type TestNamespace,
  waitFor,
} from "./cluster.js";

const APPLY_GITOPS = new URL("../../apply-gitops.ts", import.meta.url).pathname;
const EXAMPLE = new URL("../../gitops-config.example.yaml", import.meta.url).pathname;

async function installYaml(configFile: string, namespace: string): Promise<string> {
  const result = await execa(process.execPath, [
    "--import",
    "tsx",
    APPLY_GITOPS,
    "--config-file",
    configFile,
    "--cluster-name",
    "e2e",
    "--namespace",
    namespace,
    "--dry-run",
  ]);
  return result.stdout;
}

interface Pod {
  metadata: { name: string };
  spec: { nodeName?: string };
  status: { phase: string };
}

const canI = async (verb: string, resource: string, namespace: string, serviceAccount: string) =>
  (
    await execa(
      "kubectl",
      [
        "--kubeconfig",
        kubeconfigPath(),
        "auth",
        "can-i",
        verb,
        resource,
        "-n",
        namespace,
        "--as",
        serviceAccount,
      ],
      { reject: false },
    )
  ).stdout.trim();

describe("the install flow: apply-gitops --dry-run | kubectl apply -f -", () => {
  let ns: TestNamespace;
  let installNs: string;
  let dir: string;

  beforeAll(async () => {
    ns = await createTestNamespace("install");
    installNs = `${ns.name}-ctl`;
    dir = await mkdtemp(join(tmpdir(), "install-e2e-"));
  });
  afterAll(async () => {
    await kubectl(["delete", "namespace", installNs, "--wait=false", "--ignore-not-found"]);
    await ns.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it("is accepted by the apiserver, and applying it twice changes nothing", async () => {
    const yaml = await installYaml(EXAMPLE, installNs);
    const first = await kubectl(["apply", "-f", "-"], { input: yaml });
    expect(first).toContain(`daemonset.apps/gitops-controller created`);
    const second = await kubectl(["apply", "-f", "-"], { input: yaml });
    const lines = second.trim().split("\n");
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) expect(line).toMatch(/ unchanged$/);
  });

  it("runs exactly one controller pod, on the management node, Running", async () => {
    const pods = await waitFor(
      async () => {
        const list = await kubectlJson<{ items: Pod[] }>([
          "-n",
          installNs,
          "get",
          "pods",
          "-l",
          "app.kubernetes.io/name=gitops-controller",
        ]);
        return list.items.length === 1 && list.items[0]?.status.phase === "Running" ? list.items : undefined;
      },
      { timeoutMs: 90_000, what: "one Running gitops-controller pod" },
    );
    expect(pods.map((pod) => pod.spec.nodeName)).toEqual(["mgmt-0"]);
  });

  it("grants apply rights and leases, and nothing outside the namespace allowlist", async () => {
    const allowed = ns.name;
    const config = join(dir, "allowlist.yaml");
    await writeFile(
      config,
      `github_configs:\n  r: { repo_owner: o, repo_name: r }\nservices:\n  - { name: web, github: r, k8s_yaml_dir: k8s, namespace: ${allowed} }\nnamespaces: [${allowed}]\n`,
    );
    const restrictedNs = `${ns.name}-rbac`;
    await kubectl(["apply", "-f", "-"], { input: await installYaml(config, restrictedNs) });
    try {
      const sa = `system:serviceaccount:${restrictedNs}:gitops-controller`;
      expect(await canI("create", "deployments.apps", allowed, sa)).toBe("yes");
      expect(await canI("patch", "configmaps", allowed, sa)).toBe("yes");
      expect(await canI("delete", "services", allowed, sa)).toBe("yes");
      expect(await canI("update", "leases.coordination.k8s.io", restrictedNs, sa)).toBe("yes");
      expect(await canI("get", "secrets", "kube-system", sa)).toBe("no");
      expect(await canI("get", "secrets", "default", sa)).toBe("no");
      expect(await canI("create", "deployments.apps", "default", sa)).toBe("no");
      expect(await canI("create", "namespaces", "", sa)).toBe("no");
    } finally {
      await kubectl(["delete", "namespace", restrictedNs, "--wait=false", "--ignore-not-found"]);
    }
  });

  it("without an allowlist, lets the controller apply in any namespace", async () => {
    const config = join(dir, "open.yaml");
    await writeFile(
      config,
      "github_configs:\n  r: { repo_owner: o, repo_name: r }\nservices:\n  - { name: web, github: r, k8s_yaml_dir: k8s }\n",
    );
    const openNs = `${ns.name}-open`;
    await kubectl(["apply", "-f", "-"], { input: await installYaml(config, openNs) });
    try {
      const sa = `system:serviceaccount:${openNs}:gitops-controller`;
      expect(await canI("create", "deployments.apps", ns.name, sa)).toBe("yes");
      expect(await canI("create", "customresourcedefinitions.apiextensions.k8s.io", "", sa)).toBe("yes");
      expect(await canI("create", "clusterrolebindings.rbac.authorization.k8s.io", "", sa)).toBe("no");
    } finally {
      await kubectl(["delete", "namespace", openNs, "--wait=false", "--ignore-not-found"]);
      await kubectl([
        "delete",
        "clusterrole,clusterrolebinding",
        `simple-gitops:${openNs}:gitops-controller`,
        "--ignore-not-found",
      ]);
    }
  });
});

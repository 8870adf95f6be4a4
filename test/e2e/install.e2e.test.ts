import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
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
const MANAGEMENT = "node-role.nokube.io/management";
const FIELD_MANAGER = "simple-gitops-install";
// The credentials gitops-config.example.yaml names (its token_file is pointed at a file of the test's own).
const EXAMPLE_ENV = { GITHUB_TOKEN: "ghp_e2e", SLACK_WEBHOOK_URL: "https://hooks.slack.com/services/e2e" };

/**
 * applyGitops runs apply-gitops.ts against the test cluster with only `env` (and PATH, HOME), so no variable of the
 * test runner's shell stands in for one the test means to leave unset.
 */
async function applyGitops(args: string[], env: Record<string, string> = {}) {
  return execa(process.execPath, ["--import", "tsx", APPLY_GITOPS, "--cluster-name", "e2e", ...args], {
    reject: false,
    extendEnv: false,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", KUBECONFIG: kubeconfigPath(), ...env },
  });
}

async function installYaml(configFile: string, namespace: string, env = EXAMPLE_ENV): Promise<string> {
  const result = await applyGitops(["--config-file", configFile, "--namespace", namespace, "--dry-run"], env);
  if (result.exitCode !== 0)
    throw new Error(`apply-gitops --dry-run exited ${result.exitCode}: ${result.stderr}`);
  return result.stdout;
}

/** syncToken reads the sync token the install's Secret holds. */
async function syncToken(namespace: string): Promise<string> {
  const data = await kubectl([
    "-n",
    namespace,
    "get",
    "secret",
    "gitops-controller-secrets",
    "-o",
    "jsonpath={.data.GITOPS_SYNC_TOKEN}",
  ]);
  return Buffer.from(data, "base64").toString();
}

/**
 * withoutManagementLabel runs `check` while mgmt-0, the one management node, is unlabelled. The apply-gitops check
 * is cluster-wide, so the label goes for a few seconds; e2e test files run one at a time.
 */
async function withoutManagementLabel(check: () => Promise<void>): Promise<void> {
  await kubectl(["label", "node", "mgmt-0", `${MANAGEMENT}-`]);
  try {
    await check();
  } finally {
    await kubectl(["label", "node", "mgmt-0", `${MANAGEMENT}=true`, "--overwrite"]);
  }
}

/** managersOf lists the field managers of an object and how each wrote it (Apply or Update). */
async function managersOf(namespace: string, resource: string): Promise<string[]> {
  const live = await kubectlJson<{ metadata: { managedFields: { manager: string; operation: string }[] } }>([
    "-n",
    namespace,
    "get",
    resource,
    "--show-managed-fields",
  ]);
  return live.metadata.managedFields.map((entry) => `${entry.manager} ${entry.operation}`);
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

  let example: string;

  beforeAll(async () => {
    ns = await createTestNamespace("install");
    installNs = `${ns.name}-ctl`;
    dir = await mkdtemp(join(tmpdir(), "install-e2e-"));
    const tokenFile = join(dir, "apps-token");
    await writeFile(tokenFile, "ghp_e2e_apps\n");
    example = join(dir, "gitops-config.example.yaml");
    const text = await readFile(EXAMPLE, "utf8");
    await writeFile(example, text.replace("/var/run/secrets/simple-gitops/apps-token", tokenFile));
  });
  afterAll(async () => {
    await kubectl(["delete", "namespace", installNs, "--wait=false", "--ignore-not-found"]);
    await ns.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it("is accepted by the apiserver, and applying it twice changes nothing", async () => {
    const yaml = await installYaml(example, installNs);
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

  it("switches from the piped install to apply-gitops applying itself with no conflict, keeping the sync token", async () => {
    // installNs holds the piped install of the first test: kubectl's client-side apply owns every field.
    const token = await syncToken(installNs);
    expect(token.length).toBeGreaterThanOrEqual(43);
    const itself = await applyGitops(
      ["--config-file", example, "--namespace", installNs, "--image", "simple-gitops:e2e-next"],
      EXAMPLE_ENV,
    );
    expect(itself.stderr).not.toMatch(/conflict/i);
    expect(itself.exitCode).toBe(0);
    expect(itself.stderr).toContain("the Secret holds the sync token already installed");
    const ds = await kubectlJson<{ spec: { template: { spec: { containers: { image: string }[] } } } }>([
      "-n",
      installNs,
      "get",
      "daemonset",
      "gitops-controller",
    ]);
    expect(ds.spec.template.spec.containers[0]?.image).toBe("simple-gitops:e2e-next");
    const managers = await managersOf(installNs, "daemonset/gitops-controller");
    expect(managers).toContain(`${FIELD_MANAGER} Apply`);
    expect(managers.filter((manager) => manager.startsWith("kubectl-client-side-apply"))).toEqual([]);
    expect(await syncToken(installNs)).toBe(token);

    // And back: the README's piped install, server-side with the same field manager, then apply-gitops again.
    await kubectl(
      ["apply", "--server-side", "--force-conflicts", `--field-manager=${FIELD_MANAGER}`, "-f", "-"],
      {
        input: await installYaml(example, installNs),
      },
    );
    const again = await applyGitops(["--config-file", example, "--namespace", installNs], EXAMPLE_ENV);
    expect(again.exitCode).toBe(0);
    expect(await syncToken(installNs)).toBe(token);
  });

  it("lets a server-side apply of an unchanged install follow the client-side one without a conflict", async () => {
    const config = join(dir, "plain.yaml");
    await writeFile(
      config,
      `github_configs:\n  r: { repo_owner: o, repo_name: r }\nservices:\n  - { name: web, github: r, k8s_yaml_dir: k8s, namespace: ${ns.name} }\nnamespaces: [${ns.name}]\n`,
    );
    const plainNs = `${ns.name}-plain`;
    try {
      const yaml = await installYaml(config, plainNs);
      await kubectl(["apply", "-f", "-"], { input: yaml });
      // No --force-conflicts: only fields whose values the two appliers agree on may be shared.
      const output = await kubectl(
        ["apply", "--server-side", `--field-manager=${FIELD_MANAGER}`, "-f", "-"],
        {
          input: yaml,
        },
      );
      expect(output).toContain("daemonset.apps/gitops-controller serverside-applied");
    } finally {
      await kubectl(["delete", "namespace", plainNs, "--wait=false", "--ignore-not-found"]);
    }
  });

  it("exits 2 on a missing token variable, naming the field and the variable, printing and applying nothing", async () => {
    const config = join(dir, "missing-token.yaml");
    await writeFile(
      config,
      "github_configs:\n  r: { repo_owner: o, repo_name: r, token_env: E2E_UNSET_TOKEN }\nservices:\n  - { name: web, github: r, k8s_yaml_dir: k8s }\nnamespaces: [web]\n",
    );
    const missingNs = `${ns.name}-missing`;
    try {
      for (const dryRun of [[], ["--dry-run"]]) {
        const result = await applyGitops(["--config-file", config, "--namespace", missingNs, ...dryRun]);
        expect(result.exitCode).toBe(2);
        expect(result.stderr).toContain(
          "github_configs.r.token_env: environment variable E2E_UNSET_TOKEN is not set",
        );
        expect(result.stdout).toBe("");
      }
      expect(await kubectl(["get", "namespace", missingNs, "--ignore-not-found", "-o", "name"])).toBe("");
    } finally {
      await kubectl(["delete", "namespace", missingNs, "--wait=false", "--ignore-not-found"]);
    }
  });

  it("warns when no node carries the management label, with the kubectl label command that fixes it", async () => {
    // A KWOK node labelled as the control plane, which the warning then proposes to label.
    const node = `install-cp-${randomBytes(3).toString("hex")}`;
    await kubectl(["apply", "-f", "-"], {
      input: `apiVersion: v1
kind: Node
metadata:
  name: ${node}
  annotations: { kwok.x-k8s.io/node: fake }
  labels: { type: kwok, kubernetes.io/hostname: ${node}, node-role.kubernetes.io/control-plane: "" }
`,
    });
    try {
      await withoutManagementLabel(async () => {
        const result = await applyGitops(
          ["--config-file", example, "--namespace", installNs, "--dry-run"],
          EXAMPLE_ENV,
        );
        const command = result.stdout
          .split("\n")
          .find((line) => line.startsWith("#   kubectl label node "))
          ?.slice("#   ".length);
        expect(command).toBe(`kubectl label node ${node} ${MANAGEMENT}=true`);
        expect(result.stdout.startsWith(`# no node carries ${MANAGEMENT}=true`)).toBe(true);
        expect(result.stderr).toContain(`warning: no node carries ${MANAGEMENT}=true`);
        expect(result.stderr).toContain(`  ${command}`);
        await kubectl(command?.split(" ").slice(1) ?? []);
      });
      const labelled = await kubectlJson<{ metadata: { labels: Record<string, string> } }>([
        "get",
        "node",
        node,
      ]);
      expect(labelled.metadata.labels[MANAGEMENT]).toBe("true");
      const labelledCluster = await applyGitops(
        ["--config-file", example, "--namespace", installNs, "--dry-run"],
        EXAMPLE_ENV,
      );
      expect(labelledCluster.stdout.startsWith("---\n")).toBe(true);
      expect(labelledCluster.stderr).not.toContain("no node carries");
    } finally {
      await kubectl(["delete", "node", node, "--ignore-not-found"]);
    }
  });
});

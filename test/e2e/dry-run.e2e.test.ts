import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGitHubWorld, type GitHubWorld } from "../github-server/harness.js";
import { createTestNamespace, kubeconfigPath, kubectl, kubectlJson, type TestNamespace } from "./cluster.js";

const MAIN = new URL("../../controller/main.ts", import.meta.url).pathname;
const configMap = (name: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name} }\ndata: { value: "from-git" }\n`;

let world: GitHubWorld;
let ns: TestNamespace;
let dir: string;

beforeAll(async () => {
  world = await createGitHubWorld();
  const repo = await world.addRepo("org", "gitops", "t0ken");
  ns = await createTestNamespace("dry-run");
  dir = await mkdtemp(join(tmpdir(), "dry-run-e2e-"));
  await repo.commit({
    "app/kept.yaml": configMap("kept"),
    "app/edited.yaml": configMap("edited"),
    "app/deleted.yaml": configMap("deleted"),
  });
  await writeFile(
    join(dir, "gitops-config.yaml"),
    `
github_configs:
  gitops: { repo_owner: org, repo_name: gitops, token_env: GH_TOKEN, api_url: "${world.server.url}" }
services:
  - { name: app, github: gitops, k8s_yaml_dir: app, namespace: ${ns.name}, stateless: false }
applyers: [api]
health_timeout: 0s
`,
  );
});
afterAll(async () => {
  await world.close();
  await ns.cleanup();
  await rm(dir, { recursive: true, force: true });
});

/** controller runs controller/main.ts once with `args`; it reads the cluster through `kubeconfig`. */
async function controller(args: string[], kubeconfig: string, state: string) {
  const result = await execa(
    process.execPath,
    [
      "--import",
      "tsx",
      MAIN,
      "--config",
      join(dir, "gitops-config.yaml"),
      "--state-dir",
      join(dir, state),
      ...args,
    ],
    { reject: false, env: { KUBECONFIG: kubeconfig, GH_TOKEN: "t0ken", PATH: process.env.PATH ?? "" } },
  );
  const logged = String(result.stderr)
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as { msg: string; name?: string; action?: string });
  const actions = Object.fromEntries(
    logged.filter((line) => line.msg === "object applied").map((line) => [line.name, line.action]),
  );
  return { code: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr), actions };
}

describe("npm run controller -- --once --dry-run", () => {
  it("says what the server would do with each object, or that it could not ask, and prints the same YAML", async () => {
    const applied = await controller(["--once"], kubeconfigPath(), "state");
    expect(applied.code, applied.stderr).toBe(0);
    await kubectl(["-n", ns.name, "patch", "configmap/edited", "-p", '{"data":{"value":"by-hand"}}']);
    await kubectl(["-n", ns.name, "delete", "configmap/deleted"]);

    const compared = await controller(["--once", "--dry-run"], kubeconfigPath(), "dry-state");
    expect(compared.code, compared.stderr).toBe(0);
    expect(compared.actions).toEqual({ kept: "unchanged", edited: "configured", deleted: "created" });

    const blind = await controller(["--once", "--dry-run"], join(dir, "no-such-kubeconfig"), "blind-state");
    expect(blind.code, blind.stderr).toBe(0);
    expect(blind.actions).toEqual({ kept: "would-apply", edited: "would-apply", deleted: "would-apply" });

    // stdout is the rendered set, whether or not a cluster was asked, and the dry run changed nothing.
    expect(blind.stdout).toBe(compared.stdout);
    const docs = yaml.loadAll(compared.stdout) as { metadata: { name: string }; data: { value: string } }[];
    expect(docs.map((doc) => [doc.metadata.name, doc.data.value]).sort()).toEqual([
      ["deleted", "from-git"],
      ["edited", "from-git"],
      ["kept", "from-git"],
    ]);
    const live = await kubectlJson<{ items: { metadata: { name: string }; data: { value: string } }[] }>([
      "-n",
      ns.name,
      "get",
      "configmaps",
      "-l",
      "app.kubernetes.io/managed-by=simple-gitops",
    ]);
    expect(live.items.map((item) => [item.metadata.name, item.data.value]).sort()).toEqual([
      ["edited", "by-hand"],
      ["kept", "from-git"],
    ]);
  });
});

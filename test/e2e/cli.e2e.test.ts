import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GitRepo } from "../github-server/git-repo.js";
import { createGitHubWorld, type GitHubWorld } from "../github-server/harness.js";
import { createTestNamespace, kubeconfigPath, kubectl, type TestNamespace, waitFor } from "./cluster.js";
import { type ControllerProcess, startController } from "./controller-process.js";

// The simple-gitops CLI, run as its bin (cli/bin.mjs) in child processes, against a real controller process on the
// test cluster: straight to its address, and through the apiserver's service proxy with the test kubeconfig.

const BIN = fileURLToPath(new URL("../../cli/bin.mjs", import.meta.url));
const TOKEN = "e2e-cli-sync-token-0123456789";
const configMap = (name: string, version: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}}\ndata: {version: "${version}"}\n`;

let world: GitHubWorld;
let repo: GitRepo;
let ns: TestNamespace;
let scratch: string;
let controller: ControllerProcess;
let server: string;
let c1: string;

const config = () => `
github_configs:
  gitops: { repo_owner: org, repo_name: cli, token_env: GH_TOKEN, api_url: "${world.server.url}" }
services:
  - { name: web, github: gitops, k8s_yaml_dir: web, namespace: ${ns.name}, stateless: false }
  - { name: other, github: gitops, k8s_yaml_dir: other, namespace: ${ns.name}, stateless: false }
# No poll before the test asks: a pushed commit lands only by reconcile, so each result is the one the test asked for.
poll_interval: 1h
listen: "0.0.0.0:0"
applyers: [kubectl]
`;

beforeAll(async () => {
  world = await createGitHubWorld();
  repo = await world.addRepo("org", "cli", "t0ken");
  ns = await createTestNamespace("e2e-cli");
  scratch = await mkdtemp(join(tmpdir(), "e2e-cli-"));
  c1 = await repo.commit({ "web/a.yaml": configMap("a", "1"), "other/o.yaml": configMap("o", "1") });
  controller = await startController(config(), {
    KUBECONFIG: kubeconfigPath(),
    GH_TOKEN: "t0ken",
    GITOPS_SYNC_TOKEN: TOKEN,
    PATH: process.env.PATH ?? "",
  });
  server = `http://127.0.0.1:${new URL(controller.url).port}`;
  await waitFor(async () => (await viewOf("web")).last_commit_id === c1, {
    timeoutMs: 60_000,
    what: "web at c1",
  });
});
afterAll(async () => {
  await controller?.stop();
  await world?.close();
  await ns?.cleanup();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** cli runs `simple-gitops ARGS` as a user would, with nothing of this process's environment but PATH and HOME. */
async function cli(args: readonly string[], env: Record<string, string> = {}) {
  const result = await execa(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", KUBECONFIG: kubeconfigPath(), ...env },
    extendEnv: false,
    reject: false,
    timeout: 170_000,
  });
  return { code: result.exitCode, stdout: result.stdout, stderr: result.stderr };
}

async function viewOf(name: string) {
  return (await (await fetch(`${server}/v1/gitops/services/${name}`)).json()) as {
    last_commit_id: string;
    suspended: { by: string; reason: string } | null;
  };
}
const versionOf = async (name: string) =>
  (await kubectl(["-n", ns.name, "get", "configmap", name, "-o", "jsonpath={.data.version}"])).trim();
/** rowOf is a table row's cells, for the row whose first cell is `name`. */
const rowOf = (table: string, name: string) =>
  table
    .split("\n")
    .map((line) => line.split(/ {3,}/))
    .find((cells) => cells[0] === name);

describe("the simple-gitops CLI against a running controller", () => {
  it("lists the services as a table", async () => {
    const run = await cli(["get", "services", "--server", server]);
    expect(run.code).toBe(0);
    expect(rowOf(run.stdout, "NAME")).toEqual([
      "NAME",
      "STATE",
      "COMMIT",
      "LAST DEPLOY",
      "SUSPENDED",
      "MESSAGE",
    ]);
    expect(rowOf(run.stdout, "web")?.slice(0, 3)).toEqual(["web", "deployed", c1.slice(0, 7)]);
    expect(rowOf(run.stdout, "other")?.slice(0, 3)).toEqual(["other", "deployed", c1.slice(0, 7)]);
  });

  it("reconciles with --wait: exit 0 once a pushed commit landed, 1 with the error when it failed", async () => {
    const c2 = await repo.commit({ "web/a.yaml": configMap("a", "2") });
    const landed = await cli(["reconcile", "web", "--wait", "--server", server], {
      GITOPS_SYNC_TOKEN: TOKEN,
    });
    expect([landed.code, landed.stderr]).toEqual([0, "sync of web requested; waiting for its result"]);
    expect(landed.stdout).toMatch(new RegExp(`^synced web at ${c2.slice(0, 12)}: 1 configured`));
    expect(await versionOf("a")).toBe("2");

    await repo.commit({ "web/bad.yaml": configMap("Not_A_Valid_Name", "1") });
    const failed = await cli(["reconcile", "web", "--wait", "--timeout", "2m", "--server", server], {
      GITOPS_SYNC_TOKEN: TOKEN,
    });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain("sync failed: web at");
    expect(failed.stderr).toContain("Not_A_Valid_Name");
    await repo.commit({ "web/bad.yaml": null });
    const fixed = await cli(["reconcile", "web", "--wait", "--server", server], { GITOPS_SYNC_TOKEN: TOKEN });
    expect(fixed.code).toBe(0);
  });

  it("suspends and resumes as the actor given, a suspended service refusing a reconcile", async () => {
    const env = { GITOPS_SYNC_TOKEN: TOKEN };
    const suspended = await cli(
      ["suspend", "web", "--reason", "e2e hold", "--actor", "e2e-user", "--server", server],
      env,
    );
    expect(suspended.code).toBe(0);
    expect(suspended.stdout).toMatch(/^web suspended by e2e-user at .* \(e2e hold\), held at [0-9a-f]{7}/);
    expect((await viewOf("web")).suspended).toMatchObject({ by: "e2e-user", reason: "e2e hold" });
    const refused = await cli(["reconcile", "web", "--server", server], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("service web is suspended (by e2e-user");
    const resumed = await cli(["resume", "web", "--server", server], env);
    expect([resumed.code, (await viewOf("web")).suspended]).toEqual([0, null]);
    const events = await cli(["events", "--service", "web", "--server", server]);
    const kinds = events.stdout.split("\n").map((line) => line.split(/ {3,}/));
    expect(
      kinds.filter((cells) => cells[2] === "suspend" || cells[2] === "resume").map((cells) => cells[2]),
    ).toEqual(["suspend", "resume"]);
  });

  it("diffs a local directory against the live cluster: exit 1 with the change, 0 once it matches", async () => {
    const configFile = join(scratch, "gitops-config.yaml");
    await writeFile(configFile, config());
    const dir = join(scratch, "web");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "a.yaml"), configMap("a", "3"));
    const changed = await cli(["diff", "--path", dir, "--config", configFile, "--service", "web"]);
    expect(changed.code).toBe(1);
    expect(changed.stdout.split("\n").filter((line) => /^[-+] /.test(line))).toEqual([
      "-  version: '2'",
      "+  version: '3'",
    ]);
    expect(changed.stderr).toContain(`web (${dir}): 1 configured, 0 created, 0 unchanged, 0 failed`);
    expect(await versionOf("a")).toBe("2");
    await writeFile(join(dir, "a.yaml"), configMap("a", "2"));
    const same = await cli(["diff", "--path", dir, "--config", configFile, "--service", "web"]);
    expect([same.code, same.stdout]).toEqual([0, ""]);
  });

  it("reaches the controller through the apiserver's service proxy with --kube-namespace", async (context) => {
    const host = hostAddress();
    if (host === undefined) {
      context.skip("this machine has no non-loopback IPv4 address the apiserver could proxy to");
      return;
    }
    await exposeThroughService(host, new URL(controller.url).port);
    const proxied = ["--kube-namespace", ns.name, "--kube-service", "cli-controller"];
    const listed = await waitFor(
      async () => {
        const run = await cli(["get", "services", ...proxied]);
        return run.code === 0 ? run : undefined;
      },
      { timeoutMs: 30_000, what: "the controller through the service proxy" },
    );
    expect(rowOf(listed.stdout, "web")?.slice(0, 2)).toEqual(["web", "deployed"]);
    // A write needs the sync token, which the apiserver would drop from Authorization: it travels in its own header.
    const env = { GITOPS_SYNC_TOKEN: TOKEN };
    const suspended = await cli(["suspend", "other", "--actor", "via-proxy", ...proxied], env);
    expect(suspended.code).toBe(0);
    expect((await viewOf("other")).suspended).toMatchObject({ by: "via-proxy" });
    const wrong = await cli(["resume", "other", ...proxied], { GITOPS_SYNC_TOKEN: "not-the-token" });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("Set GITOPS_SYNC_TOKEN");
    const resumed = await cli(["resume", "other", ...proxied], env);
    expect([resumed.code, (await viewOf("other")).suspended]).toEqual([0, null]);
  });
});

/** hostAddress is an IPv4 address of this machine other than loopback, which the apiserver's proxy may dial. */
function hostAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((address) => address?.family === "IPv4" && !address.internal)?.address;
}

/**
 * exposeThroughService makes the controller process the backend of a Service, as the install's Service makes its
 * pods. The apiserver's service proxy dials an address of the Service's v1 Endpoints only when its targetRef is a
 * Pod whose status holds that IP (a guard against proxying to arbitrary addresses); KWOK pods get addresses no
 * process answers on, so the Pod here is never scheduled and its status is written by hand with the host's address.
 */
async function exposeThroughService(host: string, port: string): Promise<void> {
  await kubectl(["-n", ns.name, "apply", "-f", "-"], {
    input: JSON.stringify({
      apiVersion: "v1",
      kind: "List",
      items: [
        {
          apiVersion: "v1",
          kind: "Service",
          metadata: { name: "cli-controller" },
          spec: { ports: [{ name: "http", port: 8080, targetPort: Number(port), protocol: "TCP" }] },
        },
        {
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: "cli-controller-host" },
          spec: { schedulerName: "no-scheduler", containers: [{ name: "controller", image: "none" }] },
        },
      ],
    }),
  });
  const ip = { podIP: host, podIPs: [{ ip: host }] };
  await kubectl([
    "-n",
    ns.name,
    "patch",
    "pod",
    "cli-controller-host",
    "--subresource=status",
    "--type=merge",
    "-p",
    JSON.stringify({ status: ip }),
  ]);
  await kubectl(["-n", ns.name, "apply", "-f", "-"], {
    input: JSON.stringify({
      apiVersion: "v1",
      kind: "Endpoints",
      metadata: { name: "cli-controller" },
      subsets: [
        {
          addresses: [
            { ip: host, targetRef: { kind: "Pod", name: "cli-controller-host", namespace: ns.name } },
          ],
          ports: [{ name: "http", port: Number(port), protocol: "TCP" }],
        },
      ],
    }),
  });
}

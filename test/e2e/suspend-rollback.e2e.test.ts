import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GitRepo } from "../github-server/git-repo.js";
import { createGitHubWorld, type GitHubWorld } from "../github-server/harness.js";
import { createTestNamespace, kubeconfigPath, kubectl, type TestNamespace, waitFor } from "./cluster.js";
import { type ControllerProcess, startController } from "./controller-process.js";

// Suspend, resume and rollback through the HTTP API of a real controller process on the test cluster: web is held
// while its neighbour `other` (same repository) keeps syncing, which is how the test knows a poll and a reconcile
// went by.

const TOKEN = "e2e-sync-token-0123456789";
const configMap = (name: string, version: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}}\ndata: {version: "${version}"}\n`;

let world: GitHubWorld;
let repo: GitRepo;
let ns: TestNamespace;

beforeAll(async () => {
  world = await createGitHubWorld();
  repo = await world.addRepo("org", "held", "t0ken");
  ns = await createTestNamespace("e2e-suspend");
});
afterAll(async () => {
  await world?.close();
  await ns?.cleanup();
});

const config = () => `
github_configs:
  gitops: { repo_owner: org, repo_name: held, token_env: GH_TOKEN, api_url: "${world.server.url}" }
services:
  - { name: web, github: gitops, k8s_yaml_dir: web, namespace: ${ns.name}, stateless: false }
  - { name: other, github: gitops, k8s_yaml_dir: other, namespace: ${ns.name}, stateless: false }
poll_interval: 1s
reconcile_interval: 2s
prune: true
listen: "127.0.0.1:0"
applyers: [kubectl]
`;
const env = () => ({
  KUBECONFIG: kubeconfigPath(),
  GH_TOKEN: "t0ken",
  GITOPS_SYNC_TOKEN: TOKEN,
  PATH: process.env.PATH ?? "",
});

interface ServiceView {
  last_commit_id: string;
  state: string;
  suspended: { by: string; at: string; reason: string; commit: string } | null;
  rolled_back: { restored_commit: string; from_commit: string; by: string } | null;
  drift: { checked_at: string } | null;
}

const view = async (controller: ControllerProcess, name: string) =>
  (await (await fetch(`${controller.url}/v1/gitops/services/${name}`)).json()) as ServiceView;
const versionOf = async (name: string) =>
  (
    await kubectl([
      "-n",
      ns.name,
      "get",
      "configmap",
      name,
      "--ignore-not-found",
      "-o",
      "jsonpath={.data.version}",
    ])
  ).trim();
const exists = async (name: string) =>
  (await kubectl(["-n", ns.name, "get", "configmap", name, "--ignore-not-found", "-o", "name"])).trim() !==
  "";
const call = (controller: ControllerProcess, path: string, body?: object) =>
  fetch(`${controller.url}${path}`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${TOKEN}`,
      "x-simple-gitops-actor": "e2e",
      ...(body ? { "content-type": "application/json" } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
const landedAt = (controller: ControllerProcess, name: string, commit: string) =>
  waitFor(async () => (await view(controller, name)).last_commit_id === commit, {
    timeoutMs: 60_000,
    what: `${name} to land ${commit}`,
    describe: async () => JSON.stringify(await view(controller, name)),
  });
/** aReconcileOf waits for the next reconcile of `name` after now: its drift check time moves. */
async function aReconcileOf(controller: ControllerProcess, name: string): Promise<void> {
  const before = (await view(controller, name)).drift?.checked_at;
  await waitFor(async () => (await view(controller, name)).drift?.checked_at !== before, {
    timeoutMs: 30_000,
    what: `a reconcile of ${name}`,
  });
}

describe("suspend, resume and rollback on a real cluster", () => {
  it("holds a suspended service through a poll and a reconcile, resumes it, rolls it back with prune, and keeps it suspended across a restart", async () => {
    const c1 = await repo.commit({
      "web/a.yaml": configMap("a", "1"),
      "web/b.yaml": configMap("b", "1"),
      "other/o.yaml": configMap("o", "1"),
    });
    // The state directory is the test's, as a pod's volume outlives the pod: both starts use it.
    const stateDir = await mkdtemp(join(tmpdir(), "e2e-suspend-state-"));
    let controller = await startController(config(), env(), { stateDir });
    try {
      await landedAt(controller, "web", c1);
      const c2 = await repo.commit({
        "web/a.yaml": configMap("a", "2"),
        "web/b.yaml": null,
        "web/c.yaml": configMap("c", "1"),
      });
      await landedAt(controller, "web", c2);
      expect([await versionOf("a"), await exists("b"), await versionOf("c")]).toEqual(["2", false, "1"]);

      // Suspend: a pushed change and a hand edit are both left alone while other keeps syncing.
      const suspended = await call(controller, "/v1/gitops/services/web/suspend", { reason: "incident" });
      expect(suspended.status).toBe(200);
      const c3 = await repo.commit({
        "web/a.yaml": configMap("a", "3"),
        "web/d.yaml": configMap("d", "1"),
        "other/o.yaml": configMap("o", "3"),
      });
      await kubectl([
        "-n",
        ns.name,
        "patch",
        "configmap",
        "c",
        "--type=merge",
        "-p",
        '{"data":{"version":"hand"}}',
      ]);
      await landedAt(controller, "other", c3); // a poll that read c3
      await aReconcileOf(controller, "other");
      expect([await versionOf("a"), await exists("d"), await versionOf("c")]).toEqual(["2", false, "hand"]);
      const held = await view(controller, "web");
      expect(held.last_commit_id).toBe(c2);
      expect(held.suspended).toMatchObject({ by: "e2e", reason: "incident", commit: c2 });
      const metrics = await (await fetch(`${controller.url}/metrics`)).text();
      expect(metrics).toMatch(/^simple_gitops_service_suspended\{service="web"\} 1$/m);
      expect(metrics).toMatch(/^simple_gitops_service_suspended\{service="other"\} 0$/m);
      expect((await call(controller, "/v1/gitops/sync?service=web")).status).toBe(409);

      // Resume: the next poll applies c3, and the whole set's apply puts the hand edit back.
      expect((await call(controller, "/v1/gitops/services/web/resume")).status).toBe(200);
      await landedAt(controller, "web", c3);
      expect([await versionOf("a"), await versionOf("d"), await versionOf("c")]).toEqual(["3", "1", "1"]);

      // Rollback to the previous landed commit: c2's objects come back, d (added by c3) is pruned, web is held at c2.
      const history = (await (await fetch(`${controller.url}/v1/gitops/services/web/history`)).json()) as {
        history: { commit: string }[];
      };
      expect(history.history.map((entry) => entry.commit)).toEqual([c3, c2, c1]);
      const rolledBack = await call(controller, "/v1/gitops/services/web/rollback?wait=true", { commit: c2 });
      const answer = (await rolledBack.json()) as { status: string; result: { pruned: { name: string }[] } };
      expect([rolledBack.status, answer.status]).toEqual([200, "rolled_back"]);
      expect(answer.result.pruned.map((object) => object.name)).toEqual(["d"]);
      expect([await versionOf("a"), await exists("d"), await versionOf("c")]).toEqual(["2", false, "1"]);
      const rolled = await view(controller, "web");
      expect(rolled.last_commit_id).toBe(c2);
      expect(rolled.suspended).toMatchObject({ by: "e2e", reason: `rolled back to ${c2}`, commit: c2 });
      expect(rolled.rolled_back).toMatchObject({ restored_commit: c2, from_commit: c3, by: "e2e" });
      expect(await controller.stop("SIGTERM")).toBe(0);

      // A restart reads the suspension back: a new commit of web is still not applied, while other's is.
      const c4 = await repo.commit({
        "web/a.yaml": configMap("a", "4"),
        "other/o.yaml": configMap("o", "4"),
      });
      controller = await startController(config(), env(), { stateDir });
      await landedAt(controller, "other", c4);
      await aReconcileOf(controller, "other");
      expect(await versionOf("a")).toBe("2");
      expect((await view(controller, "web")).suspended).toMatchObject({ reason: `rolled back to ${c2}` });
      expect(await controller.stop("SIGTERM")).toBe(0);
    } finally {
      controller.process.kill("SIGKILL");
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});

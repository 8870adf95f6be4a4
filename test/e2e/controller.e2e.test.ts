import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditEvent } from "../../controller/record/state/state.js";
import { signBody } from "../../controller/report/server/webhook-signature.js";
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

const deployment = (version: string) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 1
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec: { containers: [{ name: web, image: nginx:1.27, command: [nginx, -g, "daemon off;"], env: [{ name: VERSION, value: "${version}" }] }] }
`;
const configMap = (value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: web-settings }\ndata: { value: "${value}" }\n`;

let world: GitHubWorld;
let repo: GitRepo;
let ns: TestNamespace;

beforeAll(async () => {
  world = await createGitHubWorld();
  repo = await world.addRepo("org", "gitops", "t0ken");
  ns = await createTestNamespace("controller");
  await repo.commit({ "app/deploy.yaml": deployment("1"), "app/settings.yaml": configMap("one") });
});
afterAll(async () => {
  await world.close();
  await ns.cleanup();
});

const config = (pollInterval: string) => `
github_configs:
  gitops: { repo_owner: org, repo_name: gitops, token_env: GH_TOKEN, api_url: "${world.server.url}" }
services:
  - { name: web, github: gitops, k8s_yaml_dir: app, namespace: ${ns.name}, stateless: false }
poll_interval: ${pollInterval}
listen: "127.0.0.1:0"
applyers: [kubectl]
health_timeout: 60s
`;

const env = (extra: Record<string, string> = {}) => ({
  KUBECONFIG: kubeconfigPath(),
  GH_TOKEN: "t0ken",
  WEBHOOK_SECRET: "hook-secret",
  PATH: process.env.PATH ?? "",
  ...extra,
});

const events = async (controller: ControllerProcess) =>
  ((await (await fetch(`${controller.url}/v1/gitops/events?limit=200`)).json()) as { events: AuditEvent[] })
    .events;

const landed = async (controller: ControllerProcess) =>
  (await events(controller)).filter((event) => event.kind === "apply" && event.result === "succeeded");

const configMapValue = async () =>
  (await kubectlJson<{ data: { value: string } }>(["-n", ns.name, "get", "configmap", "web-settings"])).data
    .value;

describe("the controller against the GitHub test server and a real cluster", () => {
  it("applies on start, then applies a commit at the next poll, and says so in /v1/gitops/repos", async () => {
    const controller = await startController(config("3s"), env());
    try {
      const first = await repo.head();
      await waitFor(async () => (await configMapValue()) === "one", {
        timeoutMs: 60_000,
        what: "the first sync",
      });
      await kubectl(["-n", ns.name, "rollout", "status", "deployment/web", "--timeout=60s"]);
      const commit = await repo.commit({ "app/settings.yaml": configMap("two") });
      await waitFor(async () => (await configMapValue()) === "two", {
        timeoutMs: 30_000,
        what: "the change to be applied",
      });
      // The cluster holds the change before the sync is recorded (its health is checked and its state saved first).
      await waitFor(async () => (await landed(controller)).some((event) => event.commit === commit), {
        timeoutMs: 30_000,
        what: "the sync of the change to be recorded",
      });
      const applied = await landed(controller);
      // /v1/gitops/events lists the newest first.
      expect(applied.map((event) => [event.commit, event.trigger])).toEqual([
        [commit, "poll"],
        [first, "startup"],
      ]);
      // The whole set is applied; the server says what changed.
      expect(applied[0]?.objects).toEqual([
        { kind: "ConfigMap", namespace: ns.name, name: "web-settings", action: "configured" },
        { kind: "Deployment", namespace: ns.name, name: "web", action: "unchanged" },
      ]);
      const repos = (await (await fetch(`${controller.url}/v1/gitops/repos`)).json()) as {
        count: number;
        repos: { repo: string; last_commit_id: string; services: string[] }[];
      };
      expect(repos.count).toBe(1);
      expect(repos.repos[0]).toMatchObject({ repo: "org/gitops", last_commit_id: commit, services: ["web"] });
      expect(await controller.stop("SIGTERM")).toBe(0);
    } finally {
      controller.process.kill("SIGKILL");
    }
  });

  it("syncs at once on a signed push webhook, and refuses a forged one", async () => {
    const controller = await startController(config("1h"), env());
    try {
      await waitFor(
        async () =>
          (await events(controller)).length > 0 ||
          controller.logs().some((line) => line.msg.startsWith("poll: ")),
        {
          timeoutMs: 60_000,
          what: "the startup sync",
        },
      );
      const commit = await repo.commit({ "app/settings.yaml": configMap("three") });
      const body = JSON.stringify({
        ref: "refs/heads/main",
        after: commit,
        repository: { full_name: "org/gitops" },
      });
      const send = (signature: string) =>
        fetch(`${controller.url}/v1/gitops/webhook/github`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "x-github-event": "push",
            "x-hub-signature-256": signature,
          },
          body,
        });
      expect((await send(signBody("wrong-secret", body))).status).toBe(401);
      expect((await send(signBody("hook-secret", body))).status).toBe(202);
      await waitFor(async () => (await configMapValue()) === "three", {
        timeoutMs: 30_000,
        what: "the webhook sync",
      });
      await waitFor(async () => (await landed(controller)).some((event) => event.commit === commit), {
        timeoutMs: 30_000,
        what: "the webhook sync to be recorded",
      });
      const applied = (await events(controller)).filter((event) => event.commit === commit);
      expect(applied.map((event) => event.trigger)).toEqual(["webhook"]);
      expect(await controller.stop("SIGTERM")).toBe(0);
    } finally {
      controller.process.kill("SIGKILL");
    }
  });

  it("applies from exactly one of two instances electing a leader", async () => {
    await repo.commit({ "app/settings.yaml": configMap("four") });
    const podEnv = (name: string) => env({ POD_NAME: name, POD_NAMESPACE: ns.name });
    const [a, b] = await Promise.all([
      startController(config("2s"), podEnv("pod-a")),
      startController(config("2s"), podEnv("pod-b")),
    ]);
    try {
      await waitFor(async () => (await configMapValue()) === "four", {
        timeoutMs: 60_000,
        what: "the leader's sync",
      });
      const lease = await kubectlJson<{ spec: { holderIdentity: string } }>([
        "-n",
        ns.name,
        "get",
        "lease",
        "simple-gitops-leader",
      ]);
      const [leader, follower] = lease.spec.holderIdentity === "pod-a" ? [a, b] : [b, a];
      const applyEvents = async (instance: ControllerProcess) =>
        (await events(instance)).filter((event) => event.kind === "apply");
      await waitFor(async () => (await landed(leader)).length > 0, {
        timeoutMs: 30_000,
        what: "the leader's sync to be recorded",
      });
      expect(await applyEvents(follower)).toEqual([]);
      const leaderGauge = async (instance: ControllerProcess) =>
        /^simple_gitops_leader (\d)/m.exec(await (await fetch(`${instance.url}/metrics`)).text())?.[1];
      expect([await leaderGauge(leader), await leaderGauge(follower)]).toEqual(["1", "0"]);
      // The leader hands over on SIGTERM; the follower takes the Lease and applies the next commit.
      expect(await leader.stop("SIGTERM")).toBe(0);
      const five = await repo.commit({ "app/settings.yaml": configMap("five") });
      await waitFor(async () => (await configMapValue()) === "five", {
        timeoutMs: 60_000,
        what: "the new leader's sync",
      });
      await waitFor(async () => (await landed(follower)).some((event) => event.commit === five), {
        timeoutMs: 30_000,
        what: "the new leader's sync to be recorded",
      });
    } finally {
      a.process.kill("SIGKILL");
      b.process.kill("SIGKILL");
    }
  });
});

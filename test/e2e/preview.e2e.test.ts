import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signBody } from "../../controller/report/server/webhook-signature.js";
import type { GitRepo } from "../github-server/git-repo.js";
import { createGitHubWorld, type GitHubWorld } from "../github-server/harness.js";
import { createTestNamespace, kubeconfigPath, kubectlJson, type TestNamespace, waitFor } from "./cluster.js";
import { type ControllerProcess, startController } from "./controller-process.js";

// Pull request previews through a real controller process on the test cluster: GitHub is the test server (every
// pulls, comments and statuses answer checked against @octokit/openapi), the comparison a real server-side dry run.
// The controller polls once an hour: each preview here is asked for by a signed pull_request webhook (or a manual
// sync's poll), so what it shows is what that one delivery caused.

const MAIN = new URL("../../controller/main.ts", import.meta.url).pathname;
const CLUSTER = "e2e";
const TOKEN = "ghp_preview_e2e_000000000000000000000000000";
const SYNC_TOKEN = "preview-sync-token";
const SECRET = "preview-webhook-secret";

const deployment = (replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec: { containers: [{ name: web, image: nginx:1.27 }] }
`;
const configMap = (name: string, value = "1") =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name} }\ndata: { value: "${value}" }\n`;

interface PreviewJson {
  state: string;
  head_sha: string;
  services: {
    service: string;
    lands: boolean;
    created: { kind: string; name: string; path?: string; diff: string }[];
    changed: { kind: string; name: string; path?: string; diff: string }[];
    pruned: { kind: string; name: string; path?: string }[];
    unchanged: number;
    errors: { path?: string; object?: string; message: string }[];
  }[];
}

let world: GitHubWorld;
let repo: GitRepo;
let ns: TestNamespace;
let controller: ControllerProcess;
let name: string;
let base: string;

const config = () => `
github_configs:
  gitops:
    repo_owner: org
    repo_name: ${name}
    token_env: GH_TOKEN
    api_url: "${world.server.url}"
    pr_preview: true
services:
  - { name: web-${name}, github: gitops, k8s_yaml_dir: web, namespace: ${ns.name}, stateless: false }
  - { name: db-${name}, github: gitops, k8s_yaml_dir: db, namespace: ${ns.name}, stateless: false }
applyers: [api]
prune: true
health_timeout: 0s
poll_interval: 1h
cluster_name: ${CLUSTER}
listen: "127.0.0.1:0"
`;
const env = () => ({
  KUBECONFIG: kubeconfigPath(),
  GH_TOKEN: TOKEN,
  GITOPS_SYNC_TOKEN: SYNC_TOKEN,
  WEBHOOK_SECRET: SECRET,
  PATH: process.env.PATH ?? "",
});

/** pullRequestEvent delivers a signed `pull_request` webhook for pull request `number`, as GitHub sends it. */
async function pullRequestEvent(number: number, action: string, head: string): Promise<number> {
  const body = JSON.stringify({
    action,
    number,
    pull_request: { number, head: { sha: head }, base: { ref: "main" } },
    repository: { full_name: `org/${name}` },
  });
  const response = await fetch(`${controller.url}/v1/gitops/webhook/github`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": "pull_request",
      "x-github-delivery": randomBytes(8).toString("hex"),
      "x-hub-signature-256": signBody(SECRET, body),
    },
    body,
  });
  return response.status;
}

const previewStatuses = (sha: string) =>
  world.server.statuses.statuses.filter(
    (s) => s.sha === sha && s.context === `simple-gitops/${CLUSTER}/preview`,
  );
const settled = (sha: string) =>
  waitFor(async () => previewStatuses(sha).find((s) => s.state !== "pending"), {
    timeoutMs: 90_000,
    what: `the preview status of ${sha.slice(0, 12)}`,
    describe: () => JSON.stringify(world.server.statuses.statuses.slice(-5)),
  });
const commentsOf = (number: number) => world.server.comments.comments.filter((c) => c.issue === number);
const previewOf = async (number: number) =>
  (await (await fetch(`${controller.url}/v1/gitops/previews/gitops/${number}`)).json()) as PreviewJson;

beforeAll(async () => {
  name = `p${randomBytes(3).toString("hex")}`;
  world = await createGitHubWorld();
  repo = await world.addRepo("org", name, TOKEN);
  ns = await createTestNamespace("preview");
  base = await repo.commit({
    "web/deploy.yaml": deployment(1),
    "web/old.yaml": configMap("old"),
    "web/settings.yaml": configMap("settings"),
    "db/db.yaml": configMap("db"),
  });
  controller = await startController(config(), env());
  await waitFor(
    async () => {
      const views = await Promise.all(
        ["web", "db"].map(async (s) => {
          const answer = await fetch(`${controller.url}/v1/gitops/services/${s}-${name}`);
          return (await answer.json()) as { state: string; last_commit_id: string };
        }),
      );
      return views.every((view) => view.state === "deployed" && view.last_commit_id === base) || undefined;
    },
    { timeoutMs: 90_000, what: "the branch head to land" },
  );
});
afterAll(async () => {
  await controller?.stop();
  await world?.close();
  await ns?.cleanup();
});

describe("pull request previews on the test cluster", () => {
  let scale: number;
  let scaleHead: string;

  it("shows a Deployment scaled, an object added and one removed, and applies none of it", async () => {
    scaleHead = await repo.commitTo("scale", {
      "web/deploy.yaml": deployment(3),
      "web/extra.yaml": configMap("extra"),
      "web/old.yaml": null,
    });
    scale = world.server.pulls.open("org", name, { head: "scale", title: "Scale web to 3" });
    expect(await pullRequestEvent(scale, "opened", scaleHead)).toBe(202);

    const status = await settled(scaleHead);
    expect([status.state, status.description]).toEqual([
      "success",
      "1 service would land: 1 created, 1 changed, 1 pruned",
    ]);
    const preview = await previewOf(scale);
    expect(preview.services.map((s) => s.service)).toEqual([`web-${name}`]);
    const [web] = preview.services;
    expect(web?.created.map((o) => [o.kind, o.name, o.path])).toEqual([
      ["ConfigMap", "extra", "web/extra.yaml"],
    ]);
    expect(web?.changed.map((o) => [o.kind, o.name, o.path])).toEqual([
      ["Deployment", "web", "web/deploy.yaml"],
    ]);
    expect(web?.changed[0]?.diff).toMatch(/^- {2}replicas: 1$/m);
    expect(web?.changed[0]?.diff).toMatch(/^\+ {2}replicas: 3$/m);
    expect(web?.pruned.map((o) => [o.kind, o.name, o.path])).toEqual([["ConfigMap", "old", "web/old.yaml"]]);
    // The server's dry run compared the whole set: the unchanged settings ConfigMap was read and left out.
    expect(web?.unchanged).toBe(1);

    const comment = await waitFor(async () => commentsOf(scale)[0], {
      timeoutMs: 30_000,
      what: "the preview comment",
    });
    expect(comment?.body).toContain(`| web-${name} | 1 | 1 | 1 | 1 | lands |`);
    expect(comment?.body).toContain("+  replicas: 3");
    expect(comment?.body).toContain("- pruned: `v1/ConfigMap/");

    // Nothing was applied: the cluster still holds the branch head.
    const live = await kubectlJson<{ spec: { replicas: number } }>([
      "-n",
      ns.name,
      "get",
      "deployment",
      "web",
    ]);
    expect(live.spec.replicas).toBe(1);
    const configMaps = await kubectlJson<{ items: { metadata: { name: string } }[] }>([
      "-n",
      ns.name,
      "get",
      "configmaps",
    ]);
    const names = configMaps.items.map((item) => item.metadata.name);
    expect(names).toContain("old");
    expect(names).not.toContain("extra");
  });

  it("edits the same comment on a second push", async () => {
    const pushed = await repo.commitTo("scale", { "web/settings.yaml": configMap("settings", "2") });
    expect(await pullRequestEvent(scale, "synchronize", pushed)).toBe(202);
    expect((await settled(pushed)).description).toBe("1 service would land: 1 created, 2 changed, 1 pruned");
    await waitFor(async () => commentsOf(scale)[0]?.edits === 1 || undefined, {
      timeoutMs: 30_000,
      what: "the comment to be edited",
    });
    const comments = commentsOf(scale);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain(`| web-${name} | 1 | 2 | 1 | 0 | lands |`);
    expect(world.server.comments.rejected).toEqual([]);
  });

  it("fails the status of a pull request with a broken manifest, naming the file, and of one the server refuses", async () => {
    const head = await repo.commitTo("broken", {
      "web/broken.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: broken\ndata: {}\n",
      "db/refused.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: refused }\ndata: { count: 3 }\n",
    });
    const number = world.server.pulls.open("org", name, { head: "broken" });
    expect(await pullRequestEvent(number, "opened", head)).toBe(202);
    const status = await settled(head);
    expect(status.state).toBe("failure");
    expect(status.description).toMatch(
      new RegExp(
        `^db-${name} would fail \\(and 1 more service\\): db/refused\\.yaml |^web-${name} would fail \\(and 1 more service\\): web/broken\\.yaml: `,
      ),
    );
    const preview = await previewOf(number);
    const errors = Object.fromEntries(preview.services.map((s) => [s.service, s.errors]));
    expect(errors[`web-${name}`]?.[0]?.path).toBe("web/broken.yaml");
    expect(errors[`db-${name}`]?.[0]).toMatchObject({
      path: "db/refused.yaml",
      object: `v1/ConfigMap/${ns.name}/refused`,
    });
    expect(errors[`db-${name}`]?.[0]?.message).toMatch(/data\.count|cannot unmarshal number/);
  });

  it("ignores a pull request from a fork", async () => {
    const forkHead = await repo.commitTo("from-fork", { "db/db.yaml": configMap("db", "fork") });
    const fork = world.server.pulls.open("org", name, { head: "from-fork", fork: "stranger" });
    // A pull request of the repository itself, listed in the same pass: once it is previewed, the fork was seen.
    const ownHead = await repo.commitTo("own", { "db/db.yaml": configMap("db", "own") });
    const own = world.server.pulls.open("org", name, { head: "own" });
    expect(await pullRequestEvent(fork, "opened", forkHead)).toBe(202);
    expect((await settled(ownHead)).state).toBe("success");
    expect(previewStatuses(forkHead)).toEqual([]);
    expect(commentsOf(fork)).toEqual([]);
    expect((await fetch(`${controller.url}/v1/gitops/previews/gitops/${fork}`)).status).toBe(404);
    await waitFor(async () => commentsOf(own).length === 1 || undefined, {
      timeoutMs: 30_000,
      what: "the comment on the pull request of the repository itself",
    });
  });

  it("costs 0 counted requests over 100 idle polls with open pull requests", async () => {
    const pullsLists = () => world.server.requests.filter((r) => /\/pulls\?/.test(r.path)).length;
    const before = {
      statuses: world.server.statuses.statuses.length,
      comments: world.server.comments.comments.length,
    };
    world.server.resetRequests();
    for (let poll = 1; poll <= 100; poll++) {
      const answer = await fetch(`${controller.url}/v1/gitops/sync?repo=gitops`, {
        method: "POST",
        headers: { authorization: `Bearer ${SYNC_TOKEN}` },
      });
      expect(answer.status).toBe(202);
      // Each poll of the repository is followed by one pass over its pull requests: one listing.
      await waitFor(async () => pullsLists() >= poll || undefined, {
        timeoutMs: 30_000,
        what: `poll ${poll}'s listing`,
      });
    }
    const counts = world.server.counts();
    const charged = world.server.requests
      .filter((r) => r.charged)
      .map((r) => `${r.method} ${r.path} ${r.status}`);
    expect(charged).toEqual([]);
    expect(counts.notModified).toBe(counts.total);
    expect(pullsLists()).toBeGreaterThanOrEqual(100);
    expect(world.server.statuses.statuses.length).toBe(before.statuses);
    expect(world.server.comments.comments.length).toBe(before.comments);
  });

  it("prints the same preview with --diff --ref, and drops a closed pull request's preview", async () => {
    const dir = await mkdtemp(join(tmpdir(), "preview-e2e-"));
    try {
      await writeFile(join(dir, "gitops-config.yaml"), config());
      const run = await execa(
        process.execPath,
        ["--import", "tsx", MAIN, "--config", join(dir, "gitops-config.yaml"), "--diff", "--ref", "scale"],
        { reject: false, env: env() },
      );
      expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(1);
      expect(String(run.stdout)).toContain(`| web-${name} | 1 | 2 | 1 | 0 | lands |`);
      expect(String(run.stdout)).toContain("+  replicas: 3");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    world.server.pulls.close("org", name, scale, { merged: true });
    expect(await pullRequestEvent(scale, "closed", scaleHead)).toBe(202);
    expect((await fetch(`${controller.url}/v1/gitops/previews/gitops/${scale}`)).status).toBe(404);
    const listed = (await (await fetch(`${controller.url}/v1/gitops/previews`)).json()) as {
      previews: { number: number }[];
    };
    expect(listed.previews.map((p) => p.number)).not.toContain(scale);
  });
});

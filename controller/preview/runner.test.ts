import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ObjectDiff, ServerDiff } from "../../applyers/server-diff.js";
import { refOf } from "../../kube/objects.js";
import type { GitRepo } from "../../test/github-server/git-repo.js";
import { createGitHubWorld, type GitHubWorld } from "../../test/github-server/harness.js";
import { createManualTime, type ManualTime } from "../../test/manual-time.js";
import { parseConfig } from "../config/load.js";
import { type ControllerState, emptyServiceState, emptyState } from "../record/state/state.js";
import { createStatusPoster } from "../report/commit-status/poster.js";
import { createStatusQueue } from "../report/commit-status/queue.js";
import { createGitHubSource } from "../source/github.js";
import { createGitHubClient } from "../source/github-client.js";
import { createClientPool } from "../source/github-clients.js";
import { sourceRepository } from "../sync/source-repository.js";
import { commentMarker } from "./comment.js";
import { createPreviewRunner, type PreviewRunner } from "./runner.js";

const cm = (name: string, value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name} }\ndata: { value: "${value}" }\n`;
const log = pino({ level: process.env.DBG ? "debug" : "silent" });
const NO_RETRY = { retries: 0, rateLimitRetries: 0, maxRetryAfterSeconds: 0, baseMs: 1 };

/**
 * A stand-in for the cluster's server-side dry run (the real one is proven on the test cluster in
 * test/e2e/preview.e2e.test.ts): every object would be created, one named `refused` is refused as admission would,
 * and while `hold` is set a comparison waits until its signal aborts, as a hung apiserver call does.
 */
function standInDiff() {
  const state = { hold: false, calls: 0 };
  const diff: ServerDiff = {
    async diff(objects, opts = {}) {
      state.calls++;
      if (state.hold)
        await new Promise((_, reject) =>
          opts.signal?.addEventListener("abort", () => reject(opts.signal?.reason), { once: true }),
        );
      return objects.map(
        (object): ObjectDiff =>
          object.metadata.name === "refused"
            ? { ...refOf(object), action: "failed", message: 'admission webhook "policy" denied the request' }
            : { ...refOf(object), action: "created", merged: object },
      );
    },
  };
  return { diff, state };
}

describe("pull request previews, through the GitHub test server", { timeout: 30_000 }, () => {
  let world: GitHubWorld;
  let repo: GitRepo;
  let time: ManualTime;
  let runners: PreviewRunner[];

  beforeEach(async () => {
    world = await createGitHubWorld();
    repo = await world.addRepo("org", "gitops", "t0ken");
    await repo.commit({ "web/a.yaml": cm("web-a", "1"), "db/b.yaml": cm("db-b", "1") });
    time = createManualTime();
    runners = [];
  });
  afterEach(async () => {
    for (const runner of runners) await runner.stop();
    await world.close();
  });

  function start(
    preview = "true",
    options: { leader?: () => boolean; passTimeoutMs?: number; state?: () => ControllerState } = {},
  ) {
    const config = parseConfig(`
github_configs:
  main: { repo_owner: org, repo_name: gitops, token: t0ken, api_url: "${world.server.url}", pr_preview: ${preview} }
services:
  - { name: web, github: main, k8s_yaml_dir: web, stateless: false }
  - { name: db, github: main, k8s_yaml_dir: db, stateless: false }
cluster_name: eu-1
`);
    const repos = config.repos.map((r) => ({ ...sourceRepository(r), key: r.key }));
    const queue = createStatusQueue({
      post: createStatusPoster({ repos, log }),
      clock: time,
      timers: time,
      log,
      spacingMs: 0,
    });
    const pool = () => createClientPool({ createClient: createGitHubClient, log, retry: NO_RETRY });
    const cluster = standInDiff();
    const runner = createPreviewRunner({
      config,
      source: createGitHubSource({ log, retry: NO_RETRY }),
      reads: pool(),
      writes: pool(),
      compare: { serverDiff: cluster.diff, log },
      state: options.state ?? emptyState,
      statuses: queue,
      comment: {
        clusterName: "eu-1",
        secrets: ["t0ken"],
        fullPreview: () => "GET /v1/gitops/previews/main/N",
      },
      clock: time,
      timers: time,
      log,
      ...(options.leader ? { isLeader: options.leader } : {}),
      ...(options.passTimeoutMs ? { passTimeoutMs: options.passTimeoutMs } : {}),
    });
    runners.push(runner);
    const pass = async () => {
      runner.afterPoll("main");
      await runner.idle();
      await queue.idle();
    };
    return { runner, pass, cluster };
  }
  const statusesOf = (sha: string) =>
    world.server.statuses.statuses
      .filter((s) => s.sha === sha && s.context === "simple-gitops/eu-1/preview")
      .map((s) => [s.state, s.description]);
  const commentsOf = (number: number) => world.server.comments.comments.filter((c) => c.issue === number);

  it("previews a pull request on its head: a pending then a final status, and one comment", async () => {
    const { runner, pass } = start();
    const head = await repo.commitTo("scale", {
      "web/a.yaml": cm("web-a", "2"),
      "web/new.yaml": cm("web-new", "1"),
    });
    const number = world.server.pulls.open("org", "gitops", { head: "scale", title: "Scale web" });
    await pass();
    expect(statusesOf(head)).toEqual([
      ["pending", "Previewing what merging would change"],
      ["success", "1 service would land: 2 created"],
    ]);
    const [comment] = commentsOf(number);
    expect(comment?.body.startsWith(commentMarker("eu-1"))).toBe(true);
    expect(comment?.body).toContain("| web | 2 | 0 | 0 | 0 | lands |");
    // db is not touched: nothing of it is read or rendered.
    expect(comment?.body).not.toContain("| db |");
    expect(runner.list().map((p) => [p.number, p.state, p.head_sha])).toEqual([[number, "success", head]]);
    expect(runner.get("main", number)).toMatchObject({ number, services: [{ service: "web", lands: true }] });
  });

  it("costs no counted request on idle passes, and edits the same comment when the pull request moves", async () => {
    const { pass } = start();
    await repo.commitTo("scale", { "web/a.yaml": cm("web-a", "2") });
    const number = world.server.pulls.open("org", "gitops", { head: "scale" });
    await pass();
    world.server.resetRequests();
    for (let i = 0; i < 20; i++) await pass();
    expect(world.server.counts()).toEqual({ total: 20, notModified: 20, charged: 0 });

    const pushed = await repo.commitTo("scale", { "db/b.yaml": cm("db-b", "2") });
    await pass();
    expect(statusesOf(pushed).at(-1)).toEqual(["success", "2 services would land: 2 created"]);
    expect(commentsOf(number).map((c) => c.edits)).toEqual([1]);
    expect(commentsOf(number)[0]?.body).toContain("| db | 1 | 0 | 0 | 0 | lands |");
  });

  it("fails the status of a head a sync would fail on, naming the file", async () => {
    const { pass } = start();
    const head = await repo.commitTo("broken", {
      "web/broken.yaml": "apiVersion: v1\nkind: ConfigMap\n  metadata: [\n",
    });
    const refused = await repo.commitTo("refused", { "db/refused.yaml": cm("refused", "1") });
    world.server.pulls.open("org", "gitops", { head: "broken" });
    world.server.pulls.open("org", "gitops", { head: "refused" });
    await pass();
    expect(statusesOf(head).at(-1)?.[0]).toBe("failure");
    expect(statusesOf(head).at(-1)?.[1]).toMatch(/^web would fail: web\/broken\.yaml: /);
    expect(statusesOf(refused).at(-1)).toEqual([
      "failure",
      'db would fail: db/refused.yaml v1/ConfigMap/default/refused: admission webhook "policy" denied the request',
    ]);
  });

  it("refuses an object another service holds, as a sync would", async () => {
    // db landed ConfigMap web-a: a pull request making web declare it too would fail web's sync.
    const held = { apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "web-a" };
    const state = (): ControllerState => ({
      ...emptyState(),
      services: {
        db: {
          ...emptyServiceState(),
          inventory: [held],
          objects: [{ ...held, action: "created", path: "db/b.yaml" }],
        },
      },
    });
    const { pass } = start("true", { state });
    const head = await repo.commitTo("steal", { "web/a.yaml": cm("web-a", "2") });
    world.server.pulls.open("org", "gitops", { head: "steal" });
    await pass();
    expect(statusesOf(head).at(-1)?.[0]).toBe("failure");
    expect(statusesOf(head).at(-1)?.[1]).toMatch(
      /^web would fail: web\/a\.yaml: ConfigMap default\/web-a belongs to service db \(db\/b\.yaml\)/,
    );
  });

  it("ignores a pull request from a fork unless forks are allowed", async () => {
    const head = await repo.commitTo("forked", { "web/a.yaml": cm("web-a", "9") });
    const number = world.server.pulls.open("org", "gitops", { head: "forked", fork: "stranger" });
    await start().pass();
    expect(statusesOf(head)).toEqual([]);
    expect(commentsOf(number)).toEqual([]);
    await start("{ forks: true }").pass();
    expect(statusesOf(head).at(-1)?.[0]).toBe("success");
    expect(commentsOf(number)).toHaveLength(1);
  });

  it("gives a pull request that touches no service a status and no comment, at no render", async () => {
    const { pass, cluster } = start();
    const head = await repo.commitTo("docs", { "README.md": "# docs\n" });
    const number = world.server.pulls.open("org", "gitops", { head: "docs" });
    await pass();
    expect(statusesOf(head).at(-1)).toEqual(["success", "Touches no service of this cluster"]);
    expect(commentsOf(number)).toEqual([]);
    expect(cluster.state.calls).toBe(0);
  });

  it("drops the preview of a closed pull request, at once on its webhook and on the next listing", async () => {
    const { runner, pass } = start();
    await repo.commitTo("a", { "web/a.yaml": cm("web-a", "3") });
    await repo.commitTo("b", { "db/b.yaml": cm("db-b", "3") });
    const first = world.server.pulls.open("org", "gitops", { head: "a" });
    const second = world.server.pulls.open("org", "gitops", { head: "b" });
    await pass();
    expect(runner.list().map((p) => p.number)).toEqual([first, second]);
    world.server.pulls.close("org", "gitops", first, { merged: true });
    expect(runner.pullRequest({ repoKey: "main", number: first, action: "closed" })).toEqual({
      accepted: true,
    });
    expect(runner.get("main", first)).toBeUndefined();
    world.server.pulls.close("org", "gitops", second);
    await pass();
    expect(runner.list()).toEqual([]);
  });

  it("previews nothing on a replica that is not the leader", async () => {
    const head = await repo.commitTo("scale", { "web/a.yaml": cm("web-a", "2") });
    world.server.pulls.open("org", "gitops", { head: "scale" });
    world.server.resetRequests();
    await start("true", { leader: () => false }).pass();
    expect(world.server.requests).toEqual([]);
    expect(statusesOf(head)).toEqual([]);
  });

  it("ends a pass that outlives its timeout, and a pass under way at stop", async () => {
    const { runner, cluster } = start("true", { passTimeoutMs: 60_000 });
    await repo.commitTo("scale", { "web/a.yaml": cm("web-a", "2") });
    world.server.pulls.open("org", "gitops", { head: "scale" });
    cluster.state.hold = true;
    runner.afterPoll("main");
    while (cluster.state.calls === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await time.advance(60_000);
    await runner.idle();
    expect(runner.list()).toEqual([]);

    // The next pass tries again after the retry wait, and stop ends it where it hangs.
    await time.advance(60_000);
    runner.afterPoll("main");
    while (cluster.state.calls === 1) await new Promise((resolve) => setTimeout(resolve, 5));
    await runner.stop();
    runner.afterPoll("main");
    await runner.idle();
    expect(cluster.state.calls).toBe(2);
  });
});

import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLoopWorld, type LoopWorld } from "../../../test/loop-harness.js";
import { recordingApplyer } from "../../../test/recording-applyer.js";
import { parseConfig } from "../../config/load.js";
import { buildCommitStatuses } from "../../start/wiring.js";

const manifest = (name: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: default\ndata:\n  k: v\n`;

// Real HTTP to the test server and real git on a machine shared by many test runs: allow for a slow one.
describe("commit statuses through the loop", { timeout: 30_000 }, () => {
  let loop: LoopWorld;
  let head: string;

  beforeEach(async () => {
    loop = await createLoopWorld();
    head = await loop.repo.commit({ "web/cm.yaml": manifest("web-cm"), "db/cm.yaml": manifest("db-cm") });
  });
  afterEach(() => loop.close());

  const configWith = (extra = "", commitStatus = true) =>
    parseConfig(`
github_configs:
  main: { repo_owner: org, repo_name: gitops, token: t0ken, api_url: "${loop.world.server.url}", commit_status: ${commitStatus} }
services:
  - { name: web, github: main, k8s_yaml_dir: web, stateless: false }
  - { name: db, github: main, k8s_yaml_dir: db, stateless: false }
cluster_name: eu-1
${extra}`);

  /**
   * run syncs once with commit statuses wired as main wires them. Each service's apply is held until the statuses
   * queued so far were posted, so a `pending` is on GitHub before its sync ends, however fast the stand-in applies.
   */
  async function run(config = configWith(), cluster = recordingApplyer()) {
    const statuses = buildCommitStatuses(config, {
      dryRun: false,
      log: pino({ level: process.env.DBG ? "debug" : "silent" }),
      clock: loop.time,
      timers: loop.time,
      queue: { spacingMs: 0, baseDelayMs: 1000 },
    });
    const controller = loop.controllerWith(cluster.applyer, config, {
      ...(statuses ? { onSyncStart: statuses.started, listeners: [statuses.finished] } : {}),
    });
    let release = cluster.hold();
    let started = cluster.nextApply();
    const done = controller.runOnce();
    for (const _service of config.services) {
      if (!(await Promise.race([started.then(() => true), done.then(() => false)]))) break;
      await drain(statuses?.queue);
      started = cluster.nextApply();
      const current = release;
      release = cluster.hold();
      current();
    }
    release();
    return { results: await done, statuses, cluster };
  }
  /**
   * drain moves manual time on until every status was posted or given up, retries included. It has no round limit:
   * a post in flight is real HTTP, which on a loaded machine outlasts any fixed number of turns (the test's timeout
   * bounds it instead).
   */
  async function drain(queue: { pending(): number } | undefined) {
    while ((queue?.pending() ?? 0) > 0) {
      await new Promise((resolve) => setImmediate(resolve));
      await loop.time.advance(500);
    }
  }
  const posted = (context: string) =>
    loop.world.server.statuses.statuses.filter((status) => status.context === context);

  it("goes pending → success for a good service and pending → failure for one whose object is refused", async () => {
    const cluster = recordingApplyer();
    cluster.failNames.add("db-cm");
    const { results, statuses } = await run(configWith(), cluster);
    await statuses?.queue.idle();
    expect(results.map((result) => [result.service, result.status])).toEqual([
      ["web", "applied"],
      ["db", "failed"],
    ]);
    const web = posted("simple-gitops/eu-1/web");
    expect(web.map((status) => [status.state, status.sha])).toEqual([
      ["pending", head],
      ["success", head],
    ]);
    expect(web[1]?.description).toBe("1 object applied (1 created)");
    const db = posted("simple-gitops/eu-1/db");
    expect(db.map((status) => status.state)).toEqual(["pending", "failure"]);
    expect(db[1]?.description).toContain("admission webhook denied db-cm");
    expect(loop.world.server.statuses.rejected).toEqual([]);
    expect(loop.world.server.statuses.statuses.every((status) => status.target_url === null)).toBe(true);
  });

  it("links each status to the service on the status page only when public_url is set", async () => {
    const { statuses } = await run(configWith("public_url: https://gitops.example.com/"));
    await statuses?.queue.idle();
    const urls = new Set(loop.world.server.statuses.statuses.map((status) => status.target_url));
    expect(urls).toEqual(
      new Set(["https://gitops.example.com/ui#service-web", "https://gitops.example.com/ui#service-db"]),
    );
  });

  it("retries a post GitHub failed, and the sync still succeeds", async () => {
    loop.world.server.failNext(/\/statuses\//, 2, { kind: "status", status: 502 });
    const { results, statuses } = await run();
    expect(results.map((result) => result.status)).toEqual(["applied", "applied"]);
    await drain(statuses?.queue);
    const failedPosts = loop.world.server.requests.filter(
      (record) => record.path.includes("/statuses/") && record.status === 502,
    );
    expect(failedPosts).toHaveLength(2);
    for (const service of ["web", "db"])
      expect(posted(`simple-gitops/eu-1/${service}`).at(-1)?.state).toBe("success");
  });

  it("posts nothing for a repository without commit_status, nor for a poll that found nothing new", async () => {
    const off = await run(configWith("", false));
    expect(off.statuses).toBeUndefined();
    const { statuses } = await run();
    await statuses?.queue.idle();
    const before = loop.world.server.statuses.statuses.length;
    await run();
    expect(loop.world.server.statuses.statuses.length).toBe(before);
  });

  it("marks a commit the controller rolled back as failed, saying what it went back to, on that commit only", async () => {
    const config = configWith();
    const rollback = {
      ...config,
      services: config.services.map((service) => ({ ...service, onFailure: "rollback" as const })),
    };
    const cluster = recordingApplyer();
    await drain((await run(rollback, cluster)).statuses?.queue);
    cluster.failNames.add("web-bad");
    const bad = await loop.repo.commit({ "web/bad.yaml": manifest("web-bad") });
    const { results, statuses } = await run(rollback, cluster);
    await drain(statuses?.queue);
    expect(results.filter((r) => r.service === "web").map((r) => [r.trigger, r.status, r.commit])).toEqual([
      ["startup", "failed", bad],
      ["rollback", "applied", head],
    ]);
    const web = posted("simple-gitops/eu-1/web");
    expect(web.map((status) => [status.state, status.sha])).toEqual([
      ["pending", head],
      ["success", head],
      ["pending", bad],
      ["failure", bad],
      ["failure", bad],
    ]);
    expect(web.at(-1)?.description).toMatch(
      new RegExp(`^Rolled back to ${head.slice(0, 12)}: E_APPLY: web/bad.yaml: ConfigMap default/web-bad`),
    );
  });
});

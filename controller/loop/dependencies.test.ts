import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { GitRepo } from "../../test/github-server/git-repo.js";
import { manifest } from "../../test/github-server/harness.js";
import { createLoopWorld, type LoopWorld } from "../../test/loop-harness.js";
import { recordingApplyer } from "../../test/recording-applyer.js";
import { parseConfig } from "../config/load.js";
import { dependencyHolds } from "../record/waiting-on.js";
import type { Controller } from "./controller.js";

// depends_on on the loop's own harness: the GitHub test server with two repositories, a recording stand-in for the
// cluster, manual time.

let loop: LoopWorld;
let platform: GitRepo;
let applying: ReturnType<typeof recordingApplyer>;
let controller: Controller;
let lines: { msg: string; service?: string; waitingOn?: unknown }[];

/** Config order puts each dependent first, so only depends_on can make its dependency go first. */
const config = () =>
  parseConfig(`
github_configs:
  main: { repo_owner: org, repo_name: gitops, token: t0ken, api_url: "${loop.world.server.url}" }
  platform: { repo_owner: org, repo_name: platform, token: t0ken, api_url: "${loop.world.server.url}" }
services:
  - { name: app, github: platform, k8s_yaml_dir: app, stateless: false, depends_on: [crds] }
  - { name: web, github: main, k8s_yaml_dir: web, stateless: false, depends_on: [db] }
  - { name: db, github: main, k8s_yaml_dir: db, stateless: false }
  - { name: crds, github: main, k8s_yaml_dir: crds, stateless: false }
poll_interval: 30
`);

beforeEach(async () => {
  loop = await createLoopWorld();
  platform = await loop.world.addRepo("org", "platform", "t0ken");
  applying = recordingApplyer();
  lines = [];
  controller = loop.controllerWith(applying.applyer, config(), {
    log: pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) }),
  });
});
afterEach(async () => {
  await controller.stop();
  await loop.close();
});

async function poll(): Promise<void> {
  await loop.time.advance(30_000);
  await controller.idle();
}
/** firstApplied is the index of the first apply that sent an object of `service`. */
const firstApplied = (service: string) =>
  applying.names().findIndex((names) => names.some((name) => name.startsWith(`${service}-`)));
const commitOf = (service: string) => controller.getState().services[service]?.commit;

describe("depends_on", () => {
  it("applies a dependency before its dependent from one commit of one repository", async () => {
    const head = await loop.repo.commit({
      "web/a.yaml": manifest("web", 1),
      "db/a.yaml": manifest("db", 1),
      "crds/a.yaml": manifest("crds", 1),
    });
    await platform.commit({ "app/a.yaml": manifest("app", 1) });
    await controller.runOnce();
    expect(firstApplied("db")).toBeLessThan(firstApplied("web"));
    expect([commitOf("web"), commitOf("db")]).toEqual([head, head]);
  });

  it("starts a dependent of another repository in the same run once its dependency landed", async () => {
    await loop.repo.commit({ "crds/a.yaml": manifest("crds", 1), "db/a.yaml": manifest("db", 1) });
    await platform.commit({ "app/a.yaml": manifest("app", 1) });
    await controller.runOnce();
    const head = await loop.repo.commit({ "crds/a.yaml": manifest("crds", 1, 2) });
    const app = await platform.commit({ "app/a.yaml": manifest("app", 1, 2) });
    const before = applying.applied.length;
    // This run's lines only: in the first run app may have been checked before crds had landed at all.
    const linesBefore = lines.length;
    const thisRun = () => lines.slice(linesBefore);
    // crds's apply waits until app was seen and held: app is then checked while crds is still being synced.
    const release = applying.hold();
    const run = controller.runOnce();
    while (!thisRun().some((line) => line.msg.startsWith("service app waits on crds"))) await settle();
    release();
    const results = await run;
    const applied = applying.names().slice(before);
    expect(applied.findIndex((names) => names.includes("crds-1"))).toBeLessThan(
      applied.findIndex((names) => names.includes("app-1")),
    );
    expect([commitOf("crds"), commitOf("app")]).toEqual([head, app]);
    expect(results.filter((result) => result.service === "app").map((result) => result.status)).toEqual([
      "applied",
    ]);
    expect(thisRun().find((line) => line.service === "app" && line.waitingOn)?.waitingOn).toEqual([
      { service: "crds", reason: "is being synced in this run" },
    ]);
  });

  it("holds a dependent while its dependency fails, naming it, and starts it when a later run lands it", async () => {
    await loop.repo.commit({ "crds/a.yaml": manifest("crds", 1), "db/a.yaml": manifest("db", 1) });
    await platform.commit({ "app/a.yaml": manifest("app", 1) });
    await controller.start();
    await controller.idle();
    applying.failNames.add("crds-2");
    await loop.repo.commit({ "crds/b.yaml": manifest("crds", 2) });
    await poll();
    const app = await platform.commit({ "app/a.yaml": manifest("app", 1, 2) });
    await poll();
    expect(commitOf("app")).not.toBe(app);
    const held = lines.findLast((line) => line.service === "app")?.msg;
    expect(held).toMatch(/^service app waits on crds: failed at commit [0-9a-f]{12}: E_APPLY: crds\/b.yaml/);
    const states = controller.getState().services;
    expect(dependencyHolds({ dependsOn: ["crds", "db"] }, states).map((hold) => hold.service)).toEqual([
      "crds",
    ]);

    // Only crds's repository is asked for (a webhook): app starts in the same run once crds lands.
    applying.failNames.delete("crds-2");
    controller.requestSync({ trigger: "webhook", repoKey: "main" });
    await controller.idle();
    expect(commitOf("app")).toBe(app);
    expect(controller.getState().services.crds?.lastError).toBeUndefined();
  });
});

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

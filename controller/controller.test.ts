import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Applyer, ObjectApplyResult } from "../applyers/applyer.js";
import type { GitRepo } from "../test/github-server/git-repo.js";
import { createGitHubWorld, type GitHubWorld, manifest } from "../test/github-server/harness.js";
import { createManualTime, type ManualTime } from "./clock.js";
import { parseConfig } from "./config/load.js";
import type { Config } from "./config/types.js";
import { type Controller, createController } from "./controller.js";
import { type KubeObject, type ObjectRef, refOf } from "./render/types.js";
import { createGitHubSource } from "./source/github.js";
import { createFileStateStore } from "./state/file.js";

/** RecordingApplyer stands in for a cluster in the loop's own tests (the applyers are proven on a real cluster in
 * test/e2e): it records every object it is sent and fails the names it is told to. */
function recordingApplyer() {
  const applied: KubeObject[][] = [];
  const deleted: ObjectRef[][] = [];
  const failNames = new Set<string>();
  let gate: Promise<void> | undefined;
  const applyer: Applyer = {
    name: "recording",
    async ensureInstalled() {},
    async apply(objects) {
      await gate;
      applied.push([...objects]);
      return {
        applyer: "recording",
        objects: objects.map((object): ObjectApplyResult => {
          const ref = refOf(object);
          return failNames.has(object.metadata.name)
            ? { ...ref, action: "failed", message: `admission webhook denied ${object.metadata.name}` }
            : { ...ref, action: "created" };
        }),
      };
    },
    async delete(refs) {
      deleted.push([...refs]);
      return { applyer: "recording", objects: refs.map((ref) => ({ ...ref, action: "deleted" as const })) };
    },
  };
  return {
    applyer,
    applied,
    deleted,
    failNames,
    names: () => applied.map((batch) => batch.map((object) => object.metadata.name)),
    hold() {
      let release = () => {};
      gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      return () => {
        gate = undefined;
        release();
      };
    },
  };
}

let world: GitHubWorld;
let repo: GitRepo;
let stateDir: string;
let time: ManualTime;

beforeEach(async () => {
  world = await createGitHubWorld();
  repo = await world.addRepo("org", "gitops", "t0ken");
  stateDir = await mkdtemp(join(tmpdir(), "loop-state-"));
  time = createManualTime();
});
afterEach(async () => {
  await world.close();
  await rm(stateDir, { recursive: true, force: true });
});

function configFor(extra = ""): Config {
  return {
    ...parseConfig(`
github_configs:
  main: { repo_owner: org, repo_name: gitops, token: t0ken, api_url: "${world.server.url}" }
services:
  - { name: web, github: main, k8s_yaml_dir: web, stateless: false }
  - { name: db, github: main, k8s_yaml_dir: db, stateless: false }
poll_interval: 30
${extra}`),
  };
}

function controllerWith(applyer: Applyer, config = configFor()): Controller {
  return createController({
    config,
    source: createGitHubSource({ retry: { retries: 0, minDelayMs: 0 } as never }),
    applyer,
    store: createFileStateStore(stateDir),
    clock: time,
    timers: time,
    log: pino({ level: "silent" }),
    random: () => 0.5,
  });
}

async function seed(): Promise<string> {
  return repo.commit({
    "web/deploy.yaml": manifest("web", 1),
    "web/service.yaml": manifest("web", 2),
    "db/config.yaml": manifest("db", 1),
  });
}

describe("the controller loop", () => {
  it("applies everything on the first sync and records the commit", async () => {
    const commit = await seed();
    const recorder = recordingApplyer();
    const results = await controllerWith(recorder.applyer).runOnce();
    expect(results.map((result) => [result.service, result.status, result.commit])).toEqual([
      ["web", "applied", commit],
      ["db", "applied", commit],
    ]);
    expect(recorder.names()).toEqual([["web-1", "web-2"], ["db-1"]]);
    const saved = await createFileStateStore(stateDir).load();
    expect(saved.services.web?.commit).toBe(commit);
    expect(Object.keys(saved.services.web?.files ?? {})).toEqual(["web/deploy.yaml", "web/service.yaml"]);
    expect(saved.events.map((event) => [event.service, event.kind, event.result, event.trigger])).toEqual([
      ["web", "apply", "succeeded", "startup"],
      ["db", "apply", "succeeded", "startup"],
    ]);
  });

  it("applies nothing when nothing changed, with one conditional request", async () => {
    await seed();
    const recorder = recordingApplyer();
    const controller = controllerWith(recorder.applyer);
    await controller.runOnce();
    world.server.resetRequests();
    const results = await controller.runOnce();
    expect(results.map((result) => result.status)).toEqual(["unchanged", "unchanged"]);
    expect(recorder.applied).toHaveLength(2);
    expect(world.server.counts()).toEqual({ total: 1, notModified: 1, charged: 0 });
  });

  it("applies only the one file that changed", async () => {
    await seed();
    const recorder = recordingApplyer();
    const controller = controllerWith(recorder.applyer);
    await controller.runOnce();
    const commit = await repo.commit({ "web/service.yaml": manifest("web", 2, 2) });
    const results = await controller.runOnce();
    expect(recorder.names().slice(2)).toEqual([["web-2"]]);
    expect(results.find((result) => result.service === "web")?.files.applied).toEqual(["web/service.yaml"]);
    expect(controller.getState().services.db?.commit).toBe(commit);
  });

  it("does not record a file whose apply failed, and retries it after the backoff", async () => {
    await seed();
    const recorder = recordingApplyer();
    const controller = controllerWith(recorder.applyer);
    await controller.runOnce();
    const before = controller.getState().services.web;
    await repo.commit({
      "web/service.yaml": manifest("web", 2, 2),
      "web/deploy.yaml": manifest("web", 1, 2),
    });
    recorder.failNames.add("web-2");
    const [web] = await controller.runOnce();
    expect(web?.status).toBe("failed");
    expect(web?.error?.message).toContain("admission webhook denied web-2");
    const failed = controller.getState().services.web;
    expect(failed?.commit).toBe(before?.commit);
    expect(failed?.files["web/service.yaml"]).toBe(before?.files["web/service.yaml"]);
    expect(failed?.files["web/deploy.yaml"]).not.toBe(before?.files["web/deploy.yaml"]);
    expect(failed?.failures).toBe(1);
    expect(failed?.lastError?.message).toContain("web/service.yaml");

    // A poll before the backoff leaves it alone; one after it retries just the failed file.
    recorder.failNames.clear();
    const appliedBefore = recorder.applied.length;
    controller.requestSync({ trigger: "poll" });
    await controller.idle();
    expect(recorder.applied).toHaveLength(appliedBefore);
    await time.advance(30_001);
    controller.requestSync({ trigger: "poll" });
    await controller.idle();
    expect(recorder.names().slice(appliedBefore)).toEqual([["web-2"]]);
    expect(controller.getState().services.web).toMatchObject({ commit: await repo.head(), failures: 0 });
    expect(controller.getState().services.web?.lastError).toBeUndefined();
  });

  it("re-applies nothing after a restart with the file state", async () => {
    await seed();
    await controllerWith(recordingApplyer().applyer).runOnce();
    const recorder = recordingApplyer();
    const results = await controllerWith(recorder.applyer).runOnce();
    expect(results.map((result) => result.status)).toEqual(["unchanged", "unchanged"]);
    expect(recorder.applied).toEqual([]);
  });

  it("coalesces requests made during a run into one follow-up run", async () => {
    await seed();
    const recorder = recordingApplyer();
    const controller = controllerWith(recorder.applyer);
    await controller.runOnce();
    await repo.commit({ "db/config.yaml": manifest("db", 1, 3) });
    const release = recorder.hold();
    world.server.resetRequests();
    controller.requestSync({ trigger: "webhook", repoKey: "main" });
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (let i = 0; i < 5; i++)
      expect(controller.requestSync({ trigger: "manual" })).toEqual({ accepted: true });
    release();
    await controller.idle();
    // One run for the webhook, one follow-up for the five requests: two head requests in all.
    expect(world.server.counts((record) => record.path.includes("/branches/")).total).toBe(2);
  });

  it("syncs a scheduled service only on its schedule", async () => {
    await seed();
    const fired: (() => void)[] = [];
    const recorder = recordingApplyer();
    const config = configFor();
    const scheduled = {
      ...config,
      services: config.services.map((s) => (s.name === "db" ? { ...s, schedule: "0 9 * * 1-5" } : s)),
    };
    const controller = createController({
      config: scheduled,
      source: createGitHubSource(),
      applyer: recorder.applyer,
      store: createFileStateStore(stateDir),
      clock: time,
      timers: time,
      log: pino({ level: "silent" }),
      cron: (_expression, fn) => {
        fired.push(fn);
        return { stop() {} };
      },
    });
    await controller.start();
    await controller.idle();
    expect(recorder.names()).toEqual([["web-1", "web-2"]]);
    fired[0]?.();
    await controller.idle();
    expect(recorder.names()).toEqual([["web-1", "web-2"], ["db-1"]]);
    await controller.stop();
  });

  it("polls every poll_interval with jitter, and stops polling when stopped", async () => {
    await seed();
    const controller = controllerWith(recordingApplyer().applyer);
    await controller.start();
    await controller.idle();
    world.server.resetRequests();
    await time.advance(30_000);
    await controller.idle();
    expect(world.server.counts().total).toBe(1);
    await controller.stop();
    await time.advance(120_000);
    expect(world.server.counts().total).toBe(1);
    expect(time.pending()).toBe(0);
  });

  it("abandons a run on stop after the grace period without recording it", async () => {
    await seed();
    const recorder = recordingApplyer();
    const controller = controllerWith(recorder.applyer);
    const release = recorder.hold();
    controller.requestSync({ trigger: "manual" });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const stopping = controller.stop({ graceMs: 5_000 });
    await time.advance(5_000);
    expect(await stopping).toEqual({ abandoned: true });
    expect((await createFileStateStore(stateDir).load()).services).toEqual({});
    // In production the process exits here; the test lets the held apply finish before removing the state dir.
    release();
    await controller.idle();
  });

  it("prunes objects of a deleted file only after the rest applied", async () => {
    await seed();
    const recorder = recordingApplyer();
    const controller = controllerWith(recorder.applyer, configFor("prune: true"));
    await controller.runOnce();
    await repo.commit({ "web/service.yaml": null, "web/deploy.yaml": manifest("web", 1, 2) });
    const [web] = await controller.runOnce();
    expect(web?.status).toBe("applied");
    expect(recorder.deleted.map((refs) => refs.map((ref) => ref.name))).toEqual([["web-2"]]);
    expect(controller.getState().services.web?.inventory.map((ref) => ref.name)).toEqual(["web-1"]);
    expect(
      controller
        .getState()
        .events.map((event) => event.kind)
        .slice(-2),
    ).toEqual(["apply", "prune"]);
  });

  it("records a missing directory as an error of that service only", async () => {
    await repo.commit({ "web/deploy.yaml": manifest("web", 1) });
    const results = await controllerWith(recordingApplyer().applyer).runOnce();
    expect(results.map((result) => [result.service, result.status, result.error?.code])).toEqual([
      ["web", "applied", undefined],
      ["db", "failed", "E_SOURCE_DIR_MISSING"],
    ]);
  });
});

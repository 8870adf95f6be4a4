import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { GitRepo } from "../../test/github-server/git-repo.js";
import { type GitHubWorld, manifest } from "../../test/github-server/harness.js";
import { createLoopWorld, type LoopWorld } from "../../test/loop-harness.js";
import type { ManualTime } from "../../test/manual-time.js";
import { recordingApplyer } from "../../test/recording-applyer.js";
import { serialPool } from "../../test/serial-pool.js";
import { createReleaseProbe } from "../desired/release-probe.js";
import { createFileStateStore } from "../record/state/file.js";
import { serviceView } from "../report/server/views.js";
import { createGitHubSource } from "../source/github.js";
import { createController } from "./controller.js";

let loop: LoopWorld;
let world: GitHubWorld;
let repo: GitRepo;
let stateDir: string;
let time: ManualTime;

beforeEach(async () => {
  loop = await createLoopWorld();
  ({ world, repo, stateDir, time } = loop);
});
afterEach(async () => {
  await loop.close();
});

const configFor = (extra?: string) => loop.configFor(extra);
const controllerWith: LoopWorld["controllerWith"] = (...args) => loop.controllerWith(...args);

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
    // One slot in the pool of service syncs: web and db apply and record one after the other, in the config's order.
    const servicePool = serialPool(time);
    const results = await controllerWith(recorder.applyer, configFor(), { servicePool }).runOnce();
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

  it("applies the whole set of a service when one of its files changed, and records the others unapplied", async () => {
    await seed();
    const recorder = recordingApplyer();
    const controller = controllerWith(recorder.applyer);
    await controller.runOnce();
    const commit = await repo.commit({ "web/service.yaml": manifest("web", 2, 2) });
    world.server.resetRequests();
    const results = await controller.runOnce();
    // The whole set of web is applied (the server decides what is unchanged); db, untouched, is not sent at all.
    expect(recorder.names().slice(2)).toEqual([["web-1", "web-2"]]);
    const web = results.find((result) => result.service === "web");
    expect(web?.files.changed).toEqual(["web/service.yaml"]);
    expect(web?.files.applied).toEqual(["web/service.yaml"]);
    expect(results.find((result) => result.service === "db")?.status).toBe("unchanged");
    expect(controller.getState().services.db?.commit).toBe(commit);
    expect(controller.getState().repos.main?.commit).toBe(commit);
    // The head, the tree and the one changed blob: the unchanged blobs come from the cache.
    expect(world.server.counts().total).toBe(3);
  });

  it("does not record a set with a failed object, and retries the whole set after the backoff", async () => {
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
    expect(failed?.files).toEqual(before?.files);
    expect(failed?.failures).toBe(1);
    expect(failed?.lastError?.message).toContain("web/service.yaml");
    expect(failed?.objects.map((object) => [object.name, object.action])).toEqual([
      ["web-1", "configured"],
      ["web-2", "failed"],
    ]);

    // A poll before the backoff leaves it alone; one after it applies the whole set again.
    recorder.failNames.clear();
    const appliedBefore = recorder.applied.length;
    controller.requestSync({ trigger: "poll" });
    await controller.idle();
    expect(recorder.applied).toHaveLength(appliedBefore);
    await time.advance(30_001);
    controller.requestSync({ trigger: "poll" });
    await controller.idle();
    expect(recorder.names().slice(appliedBefore)).toEqual([["web-1", "web-2"]]);
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
    const applying = recorder.nextApply();
    controller.requestSync({ trigger: "webhook", repoKey: "main" });
    await applying;
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

  it("aborts a run on stop after the grace period, waits for it to stop, and records nothing of it", async () => {
    await seed();
    const recorder = recordingApplyer();
    const controller = controllerWith(recorder.applyer);
    recorder.hold();
    const applying = recorder.nextApply();
    controller.requestSync({ trigger: "manual" });
    await applying;
    const stopping = controller.stop({ graceMs: 5_000 });
    await time.advance(5_000);
    expect(await stopping).toEqual({ abandoned: true });
    // stop resolved only once the run had stopped: nothing is running, nothing was sent, nothing recorded.
    expect(controller.status().running).toBe(false);
    expect(recorder.applied).toEqual([]);
    expect((await createFileStateStore(stateDir).load()).services).toEqual({});
  });

  it("writes nothing more once it lost the leader Lease mid-apply", async () => {
    await seed();
    let leading = true;
    const recorder = recordingApplyer();
    const controller = controllerWith(recorder.applyer, configFor(), { isLeader: () => leading });
    const release = recorder.hold();
    const applying = recorder.nextApply();
    controller.requestSync({ trigger: "manual" });
    await applying;
    leading = false;
    controller.abort("lost the leader Lease");
    release();
    await controller.idle();
    // web's apply was stopped before it sent anything; db was never started; nothing was recorded.
    expect(recorder.applied).toEqual([]);
    expect((await createFileStateStore(stateDir).load()).services).toEqual({});
  });

  it("prunes objects of a deleted file only after the rest applied", async () => {
    await seed();
    const recorder = recordingApplyer();
    const controller = controllerWith(recorder.applyer, configFor("prune: true"), {
      readObject: recorder.readObject,
    });
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

describe("stateless: auto", () => {
  it("records per service whether the bootstrap applied and why, and the status API shows it", async () => {
    const releaseDir = await mkdtemp(join(tmpdir(), "release-"));
    try {
      await mkdir(join(releaseDir, "scripts", "web"), { recursive: true });
      await writeFile(join(releaseDir, "scripts", "web", "init.sh"), "echo web\n");
      await repo.commit({ "web/deploy.yaml": workload("web"), "db/deploy.yaml": workload("db") });
      const config = configFor().services.map((service) => ({ ...service, stateless: "auto" as const }));
      const recorder = recordingApplyer();
      const controller = controllerWith(
        recorder.applyer,
        { ...configFor(), services: config },
        { releaseProbe: createReleaseProbe({ releaseDir }) },
      );
      await controller.runOnce();
      const views = Object.fromEntries(
        configFor().services.map((service) => [
          service.name,
          serviceView(configFor(), service, controller.getState()).stateless,
        ]),
      );
      expect(views).toEqual({
        web: { bootstrap: true, reason: "the release tree has scripts/web/init.sh" },
        db: {
          bootstrap: false,
          reason:
            "no release: no scripts/db/init.sh in the release tree and no download_base_url to look for one",
        },
      });
      const initOf = (name: string) =>
        JSON.stringify(recorder.applied.flat().find((object) => object.metadata.name === name)).includes(
          "simple-gitops-bootstrap",
        );
      expect([initOf("web"), initOf("db")]).toEqual([true, false]);
    } finally {
      await rm(releaseDir, { recursive: true, force: true });
    }
  });
});

function workload(name: string): string {
  return `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ${name}}\nspec: {selector: {matchLabels: {app: ${name}}}, template: {metadata: {labels: {app: ${name}}}, spec: {containers: [{name: c, image: busybox}]}}}\n`;
}

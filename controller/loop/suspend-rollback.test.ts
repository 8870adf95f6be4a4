import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { GitRepo } from "../../test/github-server/git-repo.js";
import { type GitHubWorld, manifest, requestKind } from "../../test/github-server/harness.js";
import { createLoopWorld, type LoopWorld } from "../../test/loop-harness.js";
import type { ManualTime } from "../../test/manual-time.js";
import { recordingApplyer } from "../../test/recording-applyer.js";
import { serialPool } from "../../test/serial-pool.js";
import { createFileStateStore } from "../record/state/file.js";
import { createMetrics } from "../report/metrics.js";
import type { Controller } from "./controller.js";

let loop: LoopWorld;
let world: GitHubWorld;
let repo: GitRepo;
let time: ManualTime;

beforeEach(async () => {
  loop = await createLoopWorld();
  ({ world, repo, time } = loop);
});
afterEach(async () => {
  await loop.close();
});

// Polls every 30 s and reconciles every 45 s, so a test can step to exactly the next of each.
const CONFIG = "prune: true\nreconcile_interval: 45s";
const ref = (name: string) => ({ apiVersion: "v1", kind: "ConfigMap", namespace: "default", name });

/** started is a running controller over a recording "cluster" that prunes (it reads live objects back). */
async function started(
  recorder = recordingApplyer(),
  extra: Parameters<LoopWorld["controllerWith"]>[2] = {},
) {
  const controller = loop.controllerWith(recorder.applyer, loop.configFor(CONFIG), {
    readObject: recorder.readObject,
    ...extra,
  });
  await controller.start();
  await controller.idle();
  return controller;
}

/** sent lists, per apply since `from`, the names and data versions sent: what reached the "cluster". */
function sentSince(recorder: ReturnType<typeof recordingApplyer>, from: number): string[][] {
  return recorder.applied
    .slice(from)
    .map((batch) =>
      batch.map(
        (object) => `${object.metadata.name}@${(object as { data?: { version?: string } }).data?.version}`,
      ),
    );
}

async function step(controller: Controller, ms: number) {
  await time.advance(ms);
  await controller.idle();
}

describe("suspend and resume", () => {
  it("leaves a suspended service alone through a poll, a reconcile and a manual sync of its repository, while its neighbour syncs; resume applies git and corrects the hand edit at the next poll", async () => {
    await repo.commit({ "web/deploy.yaml": manifest("web", 1), "db/config.yaml": manifest("db", 1) });
    const recorder = recordingApplyer();
    const controller = await started(recorder);
    const answer = await controller.changeSuspension("suspend", "web", { by: "alice", reason: "incident" });
    expect(answer).toMatchObject({ ok: true, change: { changed: true, suspension: { by: "alice" } } });

    const head = await repo.commit({
      "web/deploy.yaml": manifest("web", 1, 2),
      "db/config.yaml": manifest("db", 1, 2),
    });
    recorder.editLive(ref("web-1"));
    const from = recorder.applied.length;
    await step(controller, 30_000); // a poll
    await step(controller, 15_000); // web's and db's reconcile
    controller.requestSync({ trigger: "manual", repoKey: "main" });
    await controller.idle();
    // Only db was sent, every time; web's pushed change and its hand edit stand.
    expect(
      sentSince(recorder, from)
        .flat()
        .filter((sent) => sent.startsWith("web")),
    ).toEqual([]);
    expect(sentSince(recorder, from)[0]).toEqual(["db-1@2"]);
    expect(controller.getState().services.db?.commit).toBe(head);
    expect(controller.getState().services.web?.commit).not.toBe(head);
    expect((await recorder.readObject(ref("web-1")))?.metadata.labels?.["edited-by"]).toBe("hand");

    await controller.changeSuspension("resume", "web", { by: "bob" });
    const resumedFrom = recorder.applied.length;
    await step(controller, 30_000);
    expect(sentSince(recorder, resumedFrom)).toEqual([["web-1@2"]]);
    expect(controller.getState().services.web?.commit).toBe(head);
    expect((await recorder.readObject(ref("web-1")))?.metadata.labels?.["edited-by"]).toBeUndefined();
    expect(
      controller
        .getState()
        .events.filter((e) => e.kind === "suspend" || e.kind === "resume")
        .map((e) => [e.kind, e.actor]),
    ).toEqual([
      ["suspend", "alice"],
      ["resume", "bob"],
    ]);
    await controller.stop();
  });

  it("keeps a service suspended across a restart, and says so in the metric after the state is loaded", async () => {
    await repo.commit({ "web/deploy.yaml": manifest("web", 1), "db/config.yaml": manifest("db", 1) });
    const first = await started();
    await first.changeSuspension("suspend", "web", { by: "alice" });
    await first.stop();

    await repo.commit({ "web/deploy.yaml": manifest("web", 1, 2) });
    const recorder = recordingApplyer();
    const metrics = createMetrics({ defaultMetrics: false });
    const second = await started(recorder, {
      onSuspension: (service, held) => metrics.setSuspended(service, held),
    });
    await step(second, 30_000);
    expect(recorder.applied.flat().map((object) => object.metadata.name)).not.toContain("web-1");
    expect(second.getState().services.web?.suspended?.by).toBe("alice");
    const text = await metrics.registry.metrics();
    expect(text).toContain('simple_gitops_service_suspended{service="web"} 1');
    expect(text).toContain('simple_gitops_service_suspended{service="db"} 0');
    await second.changeSuspension("resume", "web", { by: "bob" });
    expect(await metrics.registry.metrics()).toContain('simple_gitops_service_suspended{service="web"} 0');
    await second.stop();
  });

  it("answers a suspend only once a sync of the service already applying it is recorded, and skips a service suspended after its run began", async () => {
    await repo.commit({ "web/deploy.yaml": manifest("web", 1), "db/config.yaml": manifest("db", 1) });
    const recorder = recordingApplyer();
    // One slot in the pool of service syncs: db's part waits for web's to end before it starts.
    const servicePool = serialPool(time);
    const controller = await started(recorder, { servicePool });
    await repo.commit({ "web/deploy.yaml": manifest("web", 1, 2), "db/config.yaml": manifest("db", 1, 2) });
    const release = recorder.hold();
    const applying = recorder.nextApply();
    controller.requestSync({ trigger: "poll" });
    await applying; // web's apply is under way; db waits its turn in the same run
    let webAnswered = false;
    const web = controller.changeSuspension("suspend", "web", { by: "alice" }).then(() => {
      webAnswered = true;
    });
    const db = controller.changeSuspension("suspend", "db", { by: "alice" });
    await db;
    await new Promise((resolve) => setImmediate(resolve));
    expect(webAnswered).toBe(false);
    const from = recorder.applied.length;
    release();
    await web;
    await controller.idle();
    // web's apply went through (it had begun) and was recorded before the answer; db's never started.
    expect(controller.getState().services.web?.files["web/deploy.yaml"]).toBe(
      await repo.blobSha("web/deploy.yaml"),
    );
    expect(sentSince(recorder, from)).toEqual([["web-1@2"]]);
    expect(controller.getState().services.db?.commit).not.toBe(await repo.head());
    await controller.stop();
  });

  it("tells each saved suspend and resume once, with who asked and why, and nothing for one that changed nothing", async () => {
    await repo.commit({ "web/deploy.yaml": manifest("web", 1), "db/config.yaml": manifest("db", 1) });
    const heard: string[] = [];
    const controller = await started(recordingApplyer(), {
      onSuspensionChange: (kind, service, request, change) =>
        heard.push(`${kind} ${service} by ${request.by} (${request.reason ?? ""}) changed=${change.changed}`),
    });
    await controller.changeSuspension("suspend", "web", { by: "alice", reason: "incident" });
    await controller.changeSuspension("suspend", "web", { by: "carol" });
    await controller.changeSuspension("resume", "web", { by: "bob" });
    await controller.changeSuspension("resume", "web", { by: "bob" });
    expect(heard).toEqual([
      "suspend web by alice (incident) changed=true",
      "resume web by bob () changed=true",
    ]);
  });

  it("polls no repository whose every service is suspended", async () => {
    await repo.commit({ "web/deploy.yaml": manifest("web", 1), "db/config.yaml": manifest("db", 1) });
    const controller = await started();
    await controller.changeSuspension("suspend", "web", { by: "alice" });
    await controller.changeSuspension("suspend", "db", { by: "alice" });
    world.server.resetRequests();
    await step(controller, 30_000);
    await step(controller, 30_000);
    expect(world.server.requests).toEqual([]);
    await controller.stop();
  });

  it("refuses an unknown service, and any change on a replica that does not lead", async () => {
    let leading = false;
    await repo.commit({ "web/deploy.yaml": manifest("web", 1), "db/config.yaml": manifest("db", 1) });
    const controller = loop.controllerWith(recordingApplyer().applyer, loop.configFor(CONFIG), {
      isLeader: () => leading,
    });
    expect(await controller.changeSuspension("suspend", "nope", { by: "a" })).toMatchObject({
      ok: false,
      code: "not_found",
      reason: 'unknown service "nope" (known: web, db)',
    });
    expect(await controller.changeSuspension("suspend", "web", { by: "a" })).toMatchObject({
      ok: false,
      code: "not_leader",
    });
    expect(controller.rollback("web", { commit: "a".repeat(40), actor: "a" })).toMatchObject({
      ok: false,
      code: "not_leader",
    });
    leading = true;
    expect(await controller.changeSuspension("suspend", "web", { by: "a" })).toMatchObject({ ok: true });
  });
});

describe("rollback to a landed commit", () => {
  /** landedTwice lands c1 (web-1, web-2) then c2 (web-1 changed, web-2 deleted, web-3 added). */
  async function landedTwice(recorder = recordingApplyer()) {
    const c1 = await repo.commit({
      "web/deploy.yaml": manifest("web", 1),
      "web/service.yaml": manifest("web", 2),
      "db/config.yaml": manifest("db", 1),
    });
    const controller = await started(recorder);
    const c2 = await repo.commit({
      "web/deploy.yaml": manifest("web", 1, 2),
      "web/service.yaml": null,
      "web/extra.yaml": manifest("web", 3),
    });
    await step(controller, 30_000);
    expect(controller.getState().services.web?.commit).toBe(c2);
    return { c1, c2, controller, recorder };
  }

  it("restores the earlier set, prunes what the newer commit added, and holds it there until resumed", async () => {
    const { c1, c2, controller, recorder } = await landedTwice();
    world.server.resetRequests();
    const from = recorder.applied.length;
    const asked = controller.rollback("web", {
      commit: c1.slice(0, 8),
      actor: "alice",
      reason: "bad release",
    });
    if (!asked.ok) throw new Error(asked.reason);
    expect(asked.commit).toBe(c1);
    const outcome = await asked.outcome;
    expect(
      outcome.status === "ran" && [outcome.result.status, outcome.result.trigger, outcome.result.actor],
    ).toEqual(["applied", "rollback", "alice"]);
    expect(sentSince(recorder, from)).toEqual([["web-1@1", "web-2@1"]]);
    expect(recorder.deleted.at(-1)?.map((deleted) => deleted.name)).toEqual(["web-3"]);
    // The commit was read by its SHA and its tree listed for web; every blob came from the cache.
    expect(world.server.requests.map((request) => requestKind(request.path))).toEqual([
      "git/commits",
      "git/trees",
    ]);

    const web = controller.getState().services.web;
    const reason = `rolled back to ${c1}: bad release`;
    expect(web?.commit).toBe(c1);
    expect(web?.suspended).toEqual({
      by: "alice",
      at: new Date(time.now()).toISOString(),
      reason,
      commit: c1,
    });
    expect(web?.rolledBack).toMatchObject({ restoredCommit: c1, fromCommit: c2, by: "alice", reason });
    expect(web?.history?.map((entry) => [entry.commit, entry.trigger])).toEqual([
      [c1, "rollback"],
      [c2, "poll"],
      [c1, "startup"],
    ]);
    expect(
      controller
        .getState()
        .events.slice(-3)
        .map((e) => [e.kind, e.trigger, e.actor]),
    ).toEqual([
      ["apply", "rollback", "alice"],
      ["prune", "rollback", "alice"],
      ["suspend", "rollback", "alice"],
    ]);

    // The next poll leaves the rollback alone; once resumed, git wins again.
    const held = recorder.applied.length;
    await step(controller, 30_000);
    expect(
      sentSince(recorder, held)
        .flat()
        .filter((sent) => sent.startsWith("web")),
    ).toEqual([]);
    await controller.changeSuspension("resume", "web", { by: "alice" });
    await step(controller, 30_000);
    // (A reconcile due at the same time may re-apply the landed set first; the poll then applies the head.)
    expect(
      sentSince(recorder, held)
        .filter((batch) => batch[0]?.startsWith("web"))
        .at(-1),
    ).toEqual(["web-1@2", "web-3@1"]);
    expect(recorder.deleted.at(-1)?.map((deleted) => deleted.name)).toEqual(["web-2"]);
    expect(controller.getState().services.web?.commit).toBe(c2);
    expect(controller.getState().services.web?.rolledBack).toBeUndefined();
    await controller.stop();
  });

  it("reads the commit from GitHub after a restart, when nothing of it is cached", async () => {
    const { c1, controller } = await landedTwice();
    await controller.stop();
    const recorder = recordingApplyer();
    const restarted = await started(recorder);
    world.server.resetRequests();
    const asked = restarted.rollback("web", { commit: c1, actor: "alice" });
    if (!asked.ok) throw new Error(asked.reason);
    expect((await asked.outcome).status).toBe("ran");
    expect(restarted.getState().services.web?.commit).toBe(c1);
    expect(recorder.applied.at(-1)?.map((object) => object.metadata.name)).toEqual(["web-1", "web-2"]);
    // The restart's poll cached c2's blobs: web-1 and web-2 as c1 has them are read by their SHAs.
    expect(world.server.requests.map((request) => requestKind(request.path))).toEqual([
      "git/commits",
      "git/trees",
      "git/blobs",
      "git/blobs",
    ]);
    await restarted.stop();
  });

  it("refuses a commit the service never landed, and a second rollback while one is under way", async () => {
    const { c1, c2, controller, recorder } = await landedTwice();
    const never = await repo.commit({ "web/deploy.yaml": manifest("web", 1, 9) });
    expect(controller.rollback("web", { commit: never, actor: "a" })).toMatchObject({
      ok: false,
      code: "not_found",
      reason: `commit "${never}" is not one of the 2 landed commits of service web (its newest: ${c2.slice(0, 12)}, ${c1.slice(0, 12)}); see GET /v1/gitops/services/web/history`,
    });
    const release = recorder.hold();
    const applying = recorder.nextApply();
    const first = controller.rollback("web", { commit: c1, actor: "a" });
    await applying;
    expect(controller.rollback("web", { commit: c1, actor: "b" })).toMatchObject({
      ok: false,
      code: "conflict",
      reason: `a rollback of web to ${c1} is already under way`,
    });
    release();
    expect(first.ok && (await first.outcome).status).toBe("ran");
    // Once it ended, another may be asked for.
    expect(controller.rollback("web", { commit: c1, actor: "b" }).ok).toBe(true);
    await controller.idle();
    await controller.stop();
  });

  it("records a rollback that did not land as the service's failure, suspending nothing", async () => {
    const { c1, c2, controller, recorder } = await landedTwice();
    recorder.failNames.add("web-2");
    const asked = controller.rollback("web", { commit: c1, actor: "alice" });
    const outcome = asked.ok ? await asked.outcome : undefined;
    expect(outcome?.status === "ran" && outcome.result.status).toBe("failed");
    const web = controller.getState().services.web;
    expect(web?.commit).toBe(c2);
    expect(web?.suspended).toBeUndefined();
    expect(web?.lastError).toMatchObject({ commit: c1, message: expect.stringContaining("web-2") });
    await controller.stop();
  });

  it("settles as not run when the controller stops before the rollback ran", async () => {
    const { c1, controller, recorder } = await landedTwice();
    recorder.hold();
    const applying = recorder.nextApply();
    controller.requestSync({ trigger: "manual" });
    await applying;
    const asked = controller.rollback("web", { commit: c1, actor: "alice" });
    const stopping = controller.stop({ graceMs: 1_000 });
    await time.advance(1_000);
    await stopping;
    expect(asked.ok && (await asked.outcome)).toMatchObject({ status: "not_run" });
    expect(controller.getState().services.web?.suspended).toBeUndefined();
  });
});

describe("the state written", () => {
  it("survives a restart with the history and the suspension a rollback left", async () => {
    const c1 = await repo.commit({
      "web/deploy.yaml": manifest("web", 1),
      "db/config.yaml": manifest("db", 1),
    });
    const controller = await started();
    await repo.commit({ "web/deploy.yaml": manifest("web", 1, 2) });
    await step(controller, 30_000);
    const asked = controller.rollback("web", { commit: c1, actor: "alice" });
    if (asked.ok) await asked.outcome;
    await controller.stop();
    const saved = await createFileStateStore(loop.stateDir).load();
    expect(saved.services.web?.suspended?.commit).toBe(c1);
    expect(saved.services.web?.history?.map((entry) => entry.trigger)).toEqual([
      "rollback",
      "poll",
      "startup",
    ]);
  });
});

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { manifest } from "../../test/github-server/harness.js";
import { createLoopWorld, type LoopWorld } from "../../test/loop-harness.js";
import { recordingApplyer } from "../../test/recording-applyer.js";
import type { Controller } from "../loop/controller.js";

let loop: LoopWorld;
beforeEach(async () => {
  loop = await createLoopWorld();
  await loop.repo.commit({
    "web/deploy.yaml": manifest("web", 1),
    "web/service.yaml": manifest("web", 2),
    "db/config.yaml": manifest("db", 1),
  });
});
afterEach(async () => {
  await loop.close();
});

const web1 = { apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "web-1" };
const web2 = { apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "web-2" };
// Polls are an hour apart here, so every request the tests count comes from a reconcile.
const config = () => loop.configFor("reconcile_interval: 60");

async function started(controller: Controller): Promise<Controller> {
  await controller.start();
  await controller.idle();
  return controller;
}

/** reconcile moves time one reconcile_interval on (the test's jitter is 1.0×) and waits for the run. */
async function reconcile(controller: Controller): Promise<void> {
  await loop.time.advance(60_000);
  await controller.idle();
}

describe("continuous reconciliation", () => {
  it("applies every landed set again each reconcile_interval from cached blobs, without a GitHub request", async () => {
    const recorder = recordingApplyer();
    const controller = await started(
      loop.controllerWith(recorder.applyer, { ...config(), pollIntervalSeconds: 3600 }),
    );
    loop.world.server.resetRequests();
    const before = recorder.applied.length;
    await reconcile(controller);
    expect(recorder.names().slice(before)).toEqual([["web-1", "web-2"], ["db-1"]]);
    expect(loop.world.server.counts().total).toBe(0);
    // Nothing drifted: the state says so, and the audit trail has nothing new.
    expect(controller.getState().services.web?.drift).toMatchObject({ mode: "correct", objects: [] });
    expect(controller.getState().events.filter((event) => event.kind === "drift")).toEqual([]);
    await controller.stop();
  });

  it("re-reads the blobs once after a restart, then reconciles from the cache", async () => {
    await loop.controllerWith(recordingApplyer().applyer, config()).runOnce();
    const recorder = recordingApplyer();
    const controller = await started(
      loop.controllerWith(recorder.applyer, { ...config(), pollIntervalSeconds: 3600 }),
    );
    loop.world.server.resetRequests();
    await reconcile(controller);
    expect(loop.world.server.counts().total).toBe(3);
    await reconcile(controller);
    expect(loop.world.server.counts().total).toBe(3);
    await controller.stop();
  });

  it("puts back an object edited by hand and re-creates a deleted one, with drift: correct", async () => {
    const recorder = recordingApplyer();
    const controller = await started(
      loop.controllerWith(recorder.applyer, { ...config(), pollIntervalSeconds: 3600 }),
    );
    recorder.editLive(web1);
    recorder.deleteLive(web2);
    await reconcile(controller);
    const web = controller.getState().services.web;
    expect(web?.drift?.objects.map((object) => [object.name, object.action])).toEqual([
      ["web-1", "configured"],
      ["web-2", "created"],
    ]);
    const drift = controller.getState().events.filter((event) => event.kind === "drift");
    expect(drift.map((event) => [event.objects[0]?.name, event.objects[0]?.action, event.trigger])).toEqual([
      ["web-1", "corrected", "reconcile"],
      ["web-2", "re-created", "reconcile"],
    ]);
    // The next reconcile finds the cluster equal to git again.
    await reconcile(controller);
    expect(controller.getState().services.web?.drift?.objects).toEqual([]);
    await controller.stop();
  });

  it("only reports drift with drift: report, changing nothing", async () => {
    const recorder = recordingApplyer();
    const base = config();
    const controller = await started(
      loop.controllerWith(
        recorder.applyer,
        {
          ...base,
          pollIntervalSeconds: 3600,
          services: base.services.map((service) => ({ ...service, drift: "report" as const })),
        },
        { dryRunApply: recorder.dryRun },
      ),
    );
    recorder.editLive(web1);
    const before = recorder.applied.length;
    await reconcile(controller);
    expect(recorder.applied.length).toBe(before);
    expect(controller.getState().services.web?.drift).toMatchObject({
      mode: "report",
      objects: [{ name: "web-1", action: "configured" }],
    });
    const drift = controller.getState().events.filter((event) => event.kind === "drift");
    expect(drift.map((event) => event.objects[0]?.action)).toEqual(["differs from git"]);
    // Still reported next time: nothing put it back.
    await reconcile(controller);
    expect(controller.getState().services.web?.drift?.objects.map((object) => object.name)).toEqual([
      "web-1",
    ]);
    await controller.stop();
  });

  it("does not reconcile with reconcile_interval: 0", async () => {
    const recorder = recordingApplyer();
    const controller = await started(
      loop.controllerWith(recorder.applyer, {
        ...loop.configFor("reconcile_interval: 0"),
        pollIntervalSeconds: 3600,
      }),
    );
    const before = recorder.applied.length;
    await loop.time.advance(30 * 60_000);
    await controller.idle();
    expect(recorder.applied.length).toBe(before);
    await controller.stop();
  });
});

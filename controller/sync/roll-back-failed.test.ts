import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { manifest } from "../../test/github-server/harness.js";
import { createLoopWorld, type LoopWorld } from "../../test/loop-harness.js";
import { recordingApplyer } from "../../test/recording-applyer.js";
import type { Controller } from "../loop/controller.js";
import type { SyncResult } from "../record/result.js";

// on_failure: rollback on the loop's own harness: the GitHub test server, a recording stand-in for the cluster that
// answers reads (so prune and the rollback's deletes run), and manual time.

let loop: LoopWorld;
let applying: ReturnType<typeof recordingApplyer>;
let controller: Controller;
let results: SyncResult[];
let pollMs: number;

beforeEach(async () => {
  loop = await createLoopWorld();
  applying = recordingApplyer();
  results = [];
  // prune stays off: what the failed commit created goes all the same, as it is not something that left git.
  const config = loop.configFor();
  const rollback = {
    ...config,
    services: config.services.map((service) => ({ ...service, onFailure: "rollback" as const })),
  };
  pollMs = config.pollIntervalSeconds * 1000;
  controller = loop.controllerWith(applying.applyer, rollback, {
    readObject: applying.readObject,
    listeners: [(result) => results.push(result)],
  });
});
afterEach(async () => {
  await controller.stop();
  await loop.close();
});

async function poll(): Promise<void> {
  await loop.time.advance(pollMs);
  await controller.idle();
}
const live = (name: string) =>
  applying.readObject({ apiVersion: "v1", kind: "ConfigMap", namespace: "default", name });
const versionOf = async (name: string) => (await live(name))?.data as { version: string } | undefined;

describe("on_failure: rollback", () => {
  it("puts the last landed set back, deletes what the failed commit created, and holds that commit", async () => {
    const good = await loop.repo.commit({ "web/a.yaml": manifest("web", 1), "db/a.yaml": manifest("db", 1) });
    // An object that was in the cluster before any commit named it: the failed commit changes it, never deletes it.
    await applying.applyer.apply([
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "web-5", namespace: "default" } },
    ]);
    await controller.start();
    await controller.idle();
    applying.failNames.add("web-9");
    const bad = await loop.repo.commit({
      "web/a.yaml": manifest("web", 1, 2),
      "web/added.yaml": manifest("web", 2),
      "web/found.yaml": manifest("web", 5),
      "web/broken.yaml": manifest("web", 9),
    });
    results.length = 0;
    await poll();

    const web = results.filter((result) => result.service === "web");
    expect(web.map((r) => [r.trigger, r.status, r.commit, r.rollingBack ?? false])).toEqual([
      ["poll", "failed", bad, true],
      ["rollback", "applied", good, false],
    ]);
    expect(web[1]?.pruned.map((object) => `${object.name}:${object.action}`)).toEqual(["web-2:deleted"]);
    expect(web[1]?.rollback).toMatchObject({ failedCommit: bad, restoredCommit: good, by: "simple-gitops" });
    expect(web[1]?.rollback?.reason).toMatch(/^E_APPLY: .*web-9/);
    expect([await versionOf("web-1"), await live("web-2"), (await live("web-5"))?.data]).toEqual([
      { version: "1" },
      undefined,
      { version: "1" },
    ]);
    const state = controller.getState().services.web;
    expect(state).toMatchObject({ commit: good, failures: 0, rolledBack: { failedCommit: bad } });
    expect(state?.lastError).toBeUndefined();
    // What the failed commit only found is not ours again: nothing is left to a later prune.
    expect(state?.inventory.map((ref) => ref.name)).toEqual(["web-1"]);
    expect(state?.addedByFailures).toBeUndefined();

    // Ten polls with the failed commit at the head: one free conditional request each, nothing applied.
    const applies = applying.applied.length;
    loop.world.server.resetRequests();
    for (let i = 0; i < 10; i++) await poll();
    expect(applying.applied).toHaveLength(applies);
    expect(loop.world.server.counts()).toEqual({ total: 10, notModified: 10, charged: 0 });

    // A person asks: the failed commit is tried again, and rolled back again.
    controller.requestSync({ trigger: "manual", service: "web" });
    await controller.idle();
    expect(applying.applied).toHaveLength(applies + 2);
    expect(controller.getState().services.web?.rolledBack?.failedCommit).toBe(bad);

    // The next good commit lands at the next poll and ends the rollback.
    const fix = await loop.repo.commit({ "web/broken.yaml": null });
    await poll();
    expect(controller.getState().services.web).toMatchObject({ commit: fix, failures: 0 });
    expect(controller.getState().services.web?.rolledBack).toBeUndefined();
    expect(await versionOf("web-1")).toEqual({ version: "2" });
  });

  it("ends the rollback at a new head that reverts the failed change, without applying it", async () => {
    const good = await loop.repo.commit({ "web/a.yaml": manifest("web", 1), "db/a.yaml": manifest("db", 1) });
    await controller.start();
    await controller.idle();
    applying.failNames.add("web-9");
    await loop.repo.commit({ "web/broken.yaml": manifest("web", 9) });
    await poll();
    expect(controller.getState().services.web?.commit).toBe(good);
    const revert = await loop.repo.commit({ "web/broken.yaml": null });
    const applies = applying.applied.length;
    await poll();
    expect(applying.applied).toHaveLength(applies);
    expect(controller.getState().services.web).toMatchObject({ commit: revert });
    expect(controller.getState().services.web?.rolledBack).toBeUndefined();
  });

  it("records a rollback that fails too, and holds: the failed commit is retried after its backoff", async () => {
    await loop.repo.commit({ "web/a.yaml": manifest("web", 1), "db/a.yaml": manifest("db", 1) });
    await controller.start();
    await controller.idle();
    applying.failNames.add("web-9");
    applying.failNames.add("web-1");
    const bad = await loop.repo.commit({
      "web/a.yaml": manifest("web", 1, 2),
      "web/broken.yaml": manifest("web", 9),
    });
    results.length = 0;
    await poll();
    const last = results.findLast((result) => result.service === "web");
    expect([last?.trigger, last?.status, last?.error?.code]).toEqual([
      "rollback",
      "failed",
      "E_ROLLBACK_FAILED",
    ]);
    const state = controller.getState().services.web;
    expect(state?.lastError).toMatchObject({ code: "E_ROLLBACK_FAILED", commit: bad });
    expect(state?.lastError?.message).toContain(`commit ${bad} failed (E_APPLY) and the rollback to`);
    expect([state?.failures, state?.rolledBack]).toEqual([1, undefined]);

    // Held as with on_failure: hold: nothing until the backoff ran out, then the failed commit again.
    const applies = applying.applied.length;
    const retryAfter = Date.parse(state?.retryAfter ?? "");
    while (loop.time.now() + pollMs < retryAfter) {
      await poll();
      expect(applying.applied).toHaveLength(applies);
    }
    await poll();
    expect(applying.names().at(-2)).toContain("web-9");
    // Failing again, rollback included, the backoff grows as a held commit's does.
    expect(controller.getState().services.web).toMatchObject({
      failures: 2,
      lastError: { code: "E_ROLLBACK_FAILED", commit: bad },
    });
  });
});

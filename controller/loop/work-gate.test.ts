import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { manifest } from "../../test/github-server/harness.js";
import { createLoopWorld, type LoopWorld } from "../../test/loop-harness.js";
import { recordingApplyer } from "../../test/recording-applyer.js";
import { parseConfig } from "../config/load.js";
import { createFileStateStore } from "../record/state/file.js";
import type { WorkGate } from "./controller-deps.js";

let loop: LoopWorld;

beforeEach(async () => {
  loop = await createLoopWorld();
});
afterEach(async () => {
  await loop.close();
});

/** gateOf works on the services in `ours`; every other one is owned by `other`. */
function gateOf(ours: Set<string>, other = "pod-b"): WorkGate {
  return {
    works: (service) => ours.has(service),
    current: () => true,
    alone: () => false,
    ownerOf: (service) => (ours.has(service) ? "pod-a" : other),
  };
}

describe("a controller sharing its services out (sharding)", () => {
  it("syncs and records only its own services", async () => {
    const commit = await loop.repo.commit({
      "web/deploy.yaml": manifest("web", 1),
      "db/config.yaml": manifest("db", 1),
    });
    const recorder = recordingApplyer();
    const results = await loop
      .controllerWith(recorder.applyer, loop.configFor(), { gate: gateOf(new Set(["web"])) })
      .runOnce();
    expect(results.map((result) => [result.service, result.status, result.commit])).toEqual([
      ["web", "applied", commit],
    ]);
    expect(recorder.names()).toEqual([["web-1"]]);
    const saved = await createFileStateStore(loop.stateDir).load();
    expect(Object.keys(saved.services)).toEqual(["web"]);
  });

  it("records nothing for a service handed over while its sync was under way", async () => {
    await loop.repo.commit({ "web/deploy.yaml": manifest("web", 1), "db/config.yaml": manifest("db", 1) });
    const recorder = recordingApplyer();
    const ours = new Set(["web", "db"]);
    const controller = loop.controllerWith(recorder.applyer, loop.configFor(), { gate: gateOf(ours) });
    const release = recorder.hold();
    const applying = recorder.nextApply();
    const run = controller.runOnce();
    await applying;
    ours.delete("web");
    release();
    const results = await run;
    expect(results.map((result) => result.service)).toContain("web");
    const saved = await createFileStateStore(loop.stateDir).load();
    expect(Object.keys(saved.services)).toEqual(["db"]);
  });

  it("refuses a person's suspend of another member's service, naming its owner", async () => {
    const controller = loop.controllerWith(recordingApplyer().applyer, loop.configFor(), {
      gate: gateOf(new Set(["web"]), "pod-c"),
    });
    const answer = await controller.changeSuspension("suspend", "db", { by: "ops", reason: "test" });
    expect(answer).toMatchObject({ ok: false, code: "not_leader" });
    expect((answer as { reason: string }).reason).toContain("pod-c");
  });

  it("applies a dependent once the dependency another member owns has landed, read from the state it wrote", async () => {
    await loop.repo.commit({ "web/deploy.yaml": manifest("web", 1), "db/config.yaml": manifest("db", 1) });
    const config = parseConfig(`
github_configs:
  main: { repo_owner: org, repo_name: gitops, token: t0ken, api_url: "${loop.world.server.url}" }
services:
  - { name: web, github: main, k8s_yaml_dir: web, stateless: false, depends_on: [db] }
  - { name: db, github: main, k8s_yaml_dir: db, stateless: false }
poll_interval: 30
`);
    const webSide = recordingApplyer();
    const dbSide = recordingApplyer();
    // Two members on one store: this one owns web, the other db.
    const web = loop.controllerWith(webSide.applyer, config, { gate: gateOf(new Set(["web"])) });
    const db = loop.controllerWith(dbSide.applyer, config, { gate: gateOf(new Set(["db"])) });
    await web.start();
    await web.idle();
    expect(webSide.names()).toEqual([]);
    expect(web.getState().services.web).toBeUndefined();
    expect((await db.runOnce()).map((result) => [result.service, result.status])).toEqual([
      ["db", "applied"],
    ]);
    expect(web.requestSync({ trigger: "manual" })).toEqual({ accepted: true });
    await web.idle();
    expect(webSide.names()).toEqual([["web-1"]]);
    expect(Object.keys(web.getState().services).sort()).toEqual(["db", "web"]);
    await web.stop();
  });
});

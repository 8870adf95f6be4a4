import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Applyer } from "../../applyers/applyer.js";
import { manifest } from "../../test/github-server/harness.js";
import { createLoopWorld, type LoopWorld } from "../../test/loop-harness.js";
import { createManualTime } from "../../test/manual-time.js";
import { recordingApplyer } from "../../test/recording-applyer.js";
import { parseConfig } from "../config/load.js";
import { createRecorder, mustSaveAtOnce } from "./recorder.js";
import { resultBase, type SyncResult } from "./result.js";
import { STATE_FLUSH_MS } from "./save-batch.js";
import { createFileStateStore } from "./state/file.js";
import { createMemoryStateStore } from "./state/memory.js";
import type { ControllerState } from "./state/state.js";
import { emptyServiceState, emptyState } from "./state/state.js";
import type { StateStore } from "./state/store.js";

const silent = pino({ level: "silent" });

let loop: LoopWorld;
beforeEach(async () => {
  loop = await createLoopWorld();
});
afterEach(async () => {
  await loop.close();
});

/** countingStore is the loop's file store, counting its writes; `dead` makes writes fail, as a killed process's do. */
function countingStore(dir: string) {
  const inner = createFileStateStore(dir);
  const counts = { saves: 0, dead: false };
  const store: StateStore = {
    name: "counting",
    load: () => inner.load(),
    async save(state) {
      if (counts.dead) throw new Error("the process was killed before this write");
      counts.saves++;
      await inner.save(state);
    },
  };
  return { store, counts, stored: () => inner.load() };
}

/** advancingApplyer moves manual time one flush interval on every `every` applies, as a long run's time passes. */
function advancingApplyer(applyer: Applyer, every: number, advance: () => Promise<void>): Applyer {
  let applies = 0;
  return {
    ...applyer,
    async apply(objects, options) {
      applies++;
      if (applies % every === 0) await advance();
      return applyer.apply(objects, options);
    },
  };
}

const commitsOf = (state: ControllerState) => Object.values(state.services).map((service) => service.commit);

describe("the state written in batches", () => {
  it("writes a first sync of 1 000 services as often as it flushes, not once per service", async () => {
    const names = Array.from({ length: 1000 }, (_, i) => `s${i}`);
    const head = await loop.repo.commit(
      Object.fromEntries(names.map((name) => [`${name}/cm.yaml`, manifest(name, 1)])),
    );
    const config = parseConfig(`
github_configs:
  main: { repo_owner: org, repo_name: gitops, token: t0ken, api_url: "${loop.world.server.url}" }
services:
${names.map((name) => `  - { name: ${name}, github: main, k8s_yaml_dir: ${name}, stateless: false }`).join("\n")}
`);
    const { store, counts, stored } = countingStore(loop.stateDir);
    let flushesDue = 0;
    const applyer = advancingApplyer(recordingApplyer().applyer, 100, async () => {
      flushesDue++;
      await loop.time.advance(STATE_FLUSH_MS);
    });
    const results = await loop.controllerWith(applyer, config, { store }).runOnce();
    expect(results.filter((result) => result.status === "applied")).toHaveLength(names.length);
    // One write per flush interval that passed during the run, and one at its end.
    expect(counts.saves).toBeGreaterThan(0);
    expect(counts.saves).toBeLessThanOrEqual(flushesDue + 1);
    const saved = await stored();
    expect(commitsOf(saved)).toEqual(names.map(() => head));
  }, 120_000);

  it("syncs a service whose record a crash lost to the same commit again, every object unchanged", async () => {
    const c1 = await loop.repo.commit({
      "web/deploy.yaml": manifest("web", 1),
      "db/config.yaml": manifest("db", 1),
    });
    const cluster = recordingApplyer();
    const { store, counts } = countingStore(loop.stateDir);
    const first = loop.controllerWith(cluster.applyer, loop.configFor(), { store });
    await first.runOnce();
    const c2 = await loop.repo.commit({ "web/deploy.yaml": manifest("web", 1, 2) });
    counts.dead = true;
    await first.runOnce();
    // web landed c2 in the cluster and in memory; what was written still says c1: the record was lost.
    expect(first.getState().services.web?.commit).toBe(c2);
    expect((await createFileStateStore(loop.stateDir).load()).services.web?.commit).toBe(c1);
    const appliedBefore = cluster.applied.length;

    const restarted = loop.controllerWith(cluster.applyer);
    const results = await restarted.runOnce();
    const web = results.find((result) => result.service === "web");
    expect(web?.commit).toBe(c2);
    expect(web?.objects.map((object) => object.action)).toEqual(
      cluster.applied[appliedBefore - 1]?.map(() => "unchanged"),
    );
    // Only the service whose record was lost is applied again, and only its set.
    expect(cluster.names().slice(appliedBefore)).toEqual([["web-1"]]);
    expect((await createFileStateStore(loop.stateDir).load()).services.web?.commit).toBe(c2);
  });

  it("answers a rollback only once the state holding it is written", async () => {
    const c1 = await loop.repo.commit({
      "web/deploy.yaml": manifest("web", 1),
      "db/config.yaml": manifest("db", 1),
    });
    const { store } = countingStore(loop.stateDir);
    const heard: string[] = [];
    const writing: StateStore = {
      ...store,
      async save(state) {
        await store.save(state);
        if (state.services.web?.suspended) heard.push("written");
      },
    };
    const controller = loop.controllerWith(recordingApplyer().applyer, loop.configFor(), { store: writing });
    await controller.runOnce();
    await loop.repo.commit({ "web/deploy.yaml": manifest("web", 1, 2) });
    await controller.runOnce();
    const asked = controller.rollback("web", { commit: c1, actor: "alice" });
    if (!asked.ok) throw new Error(asked.reason);
    const outcome = await asked.outcome;
    heard.push("answered");
    expect(outcome.status).toBe("ran");
    expect(heard).toEqual(["written", "answered"]);
  });
});

/**
 * refusingRecorder is a recorder over a memory store whose next `refusals` writes are refused, as another writer's
 * save refuses them; `applied` records a service landing at a commit.
 */
async function refusingRecorder(initialRefusals: number) {
  const time = createManualTime();
  const inner = createMemoryStateStore();
  const refused = { count: initialRefusals };
  const store: StateStore = {
    name: "refusing",
    load: () => inner.load(),
    async save(state) {
      if (refused.count-- > 0) throw new Error("refused");
      await inner.save(state);
    },
  };
  const config = loop.configFor();
  const recorder = createRecorder({ store, config, clock: time, timers: time, log: silent, listeners: [] });
  await recorder.load();
  const [repo] = config.repos;
  if (!repo) throw new Error("the loop's config has a repository");
  const applied = (service: string, commit: string) =>
    recorder.record(
      {
        ...resultBase({ service, repo, trigger: "poll", dryRun: false, started: 0, now: 0 }),
        status: "applied",
        commit,
      },
      { ...emptyServiceState(), commit },
    );
  return { time, inner, refused, recorder, applied };
}

describe("loading the stored state", () => {
  it("drops what was marked and not written: the store is the truth from then on", async () => {
    // The first write and its retry over a fresh read are refused.
    const { inner, refused, recorder, applied } = await refusingRecorder(2);
    await applied("web", "c1");
    await recorder.flush();
    expect(recorder.reachable()).toBe(false);
    await inner.save({ ...emptyState(), services: { db: { ...emptyServiceState(), commit: "d9" } } });
    await recorder.load();
    await applied("db", "d10");
    // The next write is refused once more, so what is marked is laid over a fresh read.
    refused.count = 1;
    await recorder.flush();
    expect(Object.keys((await inner.load()).services)).toEqual(["db"]);
  });
});

describe("refreshing the stored state in a fleet", () => {
  it("keeps what was marked and not written, laid over the others' records, and writes it at the next flush", async () => {
    // Another member wrote the same ConfigMap: this member's write and its retry over a fresh read are refused.
    const { time, inner, recorder, applied } = await refusingRecorder(2);
    await applied("web", "w1");
    // The other member's record lands while this one's write is refused.
    await inner.save({ ...emptyState(), services: { db: { ...emptyServiceState(), commit: "d9" } } });
    await recorder.refresh();
    const held = recorder.state().services;
    expect([held.web?.commit, held.db?.commit]).toEqual(["w1", "d9"]);
    await time.advance(STATE_FLUSH_MS);
    await recorder.flush();
    const stored = (await inner.load()).services;
    expect([stored.web?.commit, stored.db?.commit]).toEqual(["w1", "d9"]);
  });
});

describe("which results are written at once", () => {
  const base = { trigger: "poll" } as SyncResult;
  it.each([
    { name: "a sync of the head", result: base, atOnce: false },
    { name: "a person's rollback", result: { ...base, trigger: "rollback" }, atOnce: true },
    {
      name: "a sync that left a suspension",
      result: { ...base, suspended: { by: "a", at: "t" } },
      atOnce: true,
    },
    {
      name: "the controller's rollback after a failed commit",
      result: { ...base, rollback: { restoredCommit: "a", fromCommit: "b" } },
      atOnce: true,
    },
    { name: "the failed sync a rollback follows", result: { ...base, rollingBack: true }, atOnce: true },
  ] as { name: string; result: SyncResult; atOnce: boolean }[])("$name", ({ result, atOnce }) => {
    expect(mustSaveAtOnce(result)).toBe(atOnce);
  });
});

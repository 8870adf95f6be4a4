import pino from "pino";
import { describe, expect, it } from "vitest";
import { createManualTime } from "../../test/manual-time.js";
import { parseConfig } from "../config/load.js";
import { createRecorder } from "./recorder.js";
import { resultBase, type SyncResult } from "./result.js";
import { createMemoryStateStore } from "./state/memory.js";
import { type ControllerState, emptyServiceState, emptyState } from "./state/state.js";
import type { StateStore } from "./state/store.js";
import { servicesJournal, withResult } from "./with-result.js";

const silent = pino({ level: "silent" });
const config = parseConfig(`
github_configs:
  main: { repo_owner: org, repo_name: gitops, token: t0ken }
services:
  - { name: web, github: main, k8s_yaml_dir: web }
  - { name: db, github: main, k8s_yaml_dir: db }
  - { name: cache, github: main, k8s_yaml_dir: cache }
`);
const [repo] = config.repos;
if (!repo) throw new Error("the config has a repository");

const landed = (service: string, commit: string) => ({
  result: {
    ...resultBase({ service, repo, trigger: "poll", dryRun: false, started: 0, now: 0 }),
    status: "applied",
    commit,
  } as SyncResult,
  serviceState: { ...emptyServiceState(), commit },
});

function recorderOn(store: StateStore) {
  const time = createManualTime();
  return createRecorder({ store, config, clock: time, timers: time, log: silent, listeners: [] });
}

describe("withResult", () => {
  it("lays a result over a copy of the services unless told to write in place", () => {
    const before: ControllerState = {
      ...emptyState(),
      services: { db: { ...emptyServiceState(), commit: "d1" } },
    };
    const { result, serviceState } = landed("web", "w1");
    const after = withResult(before, { result, serviceState, events: [] }, config, 0);
    expect(Object.keys(after.services)).toEqual(["db", "web"]);
    expect(Object.keys(before.services)).toEqual(["db"]);
  });
});

describe("the recorder's state", () => {
  it("takes each result into the services it holds, not into a copy of every service", async () => {
    const recorder = recorderOn(createMemoryStateStore());
    await recorder.load();
    const { result: web, serviceState: webState } = landed("web", "w1");
    await recorder.record(web, webState);
    const services = recorder.state().services;
    for (const [service, commit] of [
      ["db", "d1"],
      ["cache", "c1"],
    ] as const) {
      const { result, serviceState } = landed(service, commit);
      await recorder.record(result, serviceState);
    }
    expect(recorder.state().services).toBe(services);
    expect(Object.entries(services).map(([name, state]) => [name, state.commit])).toEqual([
      ["web", "w1"],
      ["db", "d1"],
      ["cache", "c1"],
    ]);
  });

  it("leaves a state it loaded as it was: its first result goes into a copy", async () => {
    const stored: ControllerState = {
      ...emptyState(),
      services: { db: { ...emptyServiceState(), commit: "d1" } },
    };
    const recorder = recorderOn({ name: "as-loaded", load: async () => stored, save: async () => {} });
    await recorder.load();
    const { result, serviceState } = landed("web", "w1");
    await recorder.record(result, serviceState);
    expect(Object.keys(stored.services)).toEqual(["db"]);
    expect(Object.keys(recorder.state().services)).toEqual(["db", "web"]);
  });

  it("saves the services as they were when the save began, whatever is recorded while it waits", async () => {
    const saved: ControllerState[] = [];
    let release = () => {};
    const store: StateStore = {
      name: "slow",
      load: async () => emptyState(),
      async save(state) {
        saved.push(state);
        await new Promise<void>((resolve) => {
          release = resolve;
        });
      },
    };
    const recorder = recorderOn(store);
    await recorder.load();
    const { result: web, serviceState: webState } = landed("web", "w1");
    await recorder.record(web, webState);
    const flushed = recorder.flush();
    await Promise.resolve();
    const { result: db, serviceState: dbState } = landed("db", "d1");
    await recorder.record(db, dbState);
    release();
    await flushed;
    const next = recorder.flush();
    await Promise.resolve();
    release();
    await next;
    expect(saved.map((state) => Object.keys(state.services))).toEqual([["web"], ["web", "db"]]);
  });

  it("journals each name it writes in place, never more names than the services it holds", async () => {
    const recorder = recorderOn(createMemoryStateStore());
    await recorder.load();
    const lengths: number[] = [];
    for (const [i, service] of ["web", "db", "web", "cache", "web", "web", "db", "web", "web"].entries()) {
      const { result, serviceState } = landed(service, `c${i}`);
      await recorder.record(result, serviceState);
      const { services } = recorder.state();
      const journal = servicesJournal(services);
      expect(journal?.names.at(-1)).toBe(service);
      lengths.push(journal?.names.length ?? 0);
    }
    // Each new service may lengthen it by one; once it holds as many names as there are services it starts again.
    expect(lengths).toEqual([1, 2, 1, 2, 3, 1, 2, 3, 1]);
    expect(servicesJournal(emptyState().services)).toBeUndefined();
  });
});

import pino from "pino";
import { describe, expect, it } from "vitest";
import { createManualTime } from "../../test/manual-time.js";
import { parseConfig } from "../config/load.js";
import type { ObjectRef } from "../desired/render/types.js";
import { ownerLookup } from "./owners.js";
import { createRecorder, type Recorder } from "./recorder.js";
import { resultBase, type SyncResult } from "./result.js";
import { type ControllerState, emptyServiceState, emptyState, type ServiceState } from "./state/state.js";
import type { StateStore } from "./state/store.js";

const cm = (name: string): ObjectRef => ({ apiVersion: "v1", kind: "ConfigMap", namespace: "apps", name });

function record(names: readonly string[], path?: string): ServiceState {
  return {
    ...emptyServiceState(),
    inventory: names.map(cm),
    objects: names.map((name) => ({ ...cm(name), action: "created", ...(path ? { path } : {}) })),
  } as ServiceState;
}

const withServices = (state: ControllerState, services: Record<string, ServiceState | undefined>) => {
  const next = { ...state.services, ...services };
  for (const [name, value] of Object.entries(services)) if (value === undefined) delete next[name];
  return { ...state, services: next as Record<string, ServiceState> };
};

describe("ownerLookup", () => {
  it("follows each new state: a recorded service's objects, one whose inventory changed, one removed", () => {
    let state: ControllerState = withServices(emptyState(), {
      web: record(["web-1", "web-2"], "web/cm.yaml"),
      db: record(["db-1"]),
    });
    const ownerOf = ownerLookup(() => state);
    expect(ownerOf(cm("web-2"))).toEqual({ service: "web", path: "web/cm.yaml" });
    expect(ownerOf(cm("db-1"))).toEqual({ service: "db" });
    state = withServices(state, { web: record(["web-1"]), cache: record(["cache-1"]) });
    expect(ownerOf(cm("web-2"))).toBeUndefined();
    expect(ownerOf(cm("web-1"))).toEqual({ service: "web" });
    expect(ownerOf(cm("cache-1"))).toEqual({ service: "cache" });
    state = withServices(state, { db: undefined });
    expect(ownerOf(cm("db-1"))).toBeUndefined();
    expect(ownerOf(cm("cache-1"))).toEqual({ service: "cache" });
  });

  it("indexes again only the services whose record changed", () => {
    const services = Object.fromEntries(
      Array.from({ length: 200 }, (_, i) => [`svc-${i}`, record([`svc-${i}-a`, `svc-${i}-b`])]),
    );
    let state: ControllerState = withServices(emptyState(), services);
    let reads = 0;
    const counted = (value: ServiceState): ServiceState =>
      new Proxy(value, {
        get(target, key, receiver) {
          if (key === "inventory") reads += 1;
          return Reflect.get(target, key, receiver);
        },
      });
    state = {
      ...state,
      services: Object.fromEntries(Object.entries(state.services).map(([n, r]) => [n, counted(r)])),
    };
    const ownerOf = ownerLookup(() => state);
    expect(ownerOf(cm("svc-7-b"))).toEqual({ service: "svc-7" });
    expect(reads).toBe(200);
    state = withServices(state, { "svc-3": counted(record(["svc-3-a", "svc-3-c"])) });
    expect(ownerOf(cm("svc-3-c"))).toEqual({ service: "svc-3" });
    expect(reads).toBe(201);
  });
});

/** sharedStore is one fleet's stored state: `others` writes it as another member would. */
function sharedStore() {
  let stored: ControllerState = emptyState();
  const store: StateStore = {
    name: "shared",
    load: async () => stored,
    async save(state) {
      stored = state;
    },
  };
  return { store, others: (state: ControllerState) => (stored = state) };
}

/** recorderOf records results for the services named, all in one repository, as the controller's recorder does. */
function recorderOf(names: readonly string[], store: StateStore = sharedStore().store) {
  const config = parseConfig(`
github_configs:
  main: { repo_owner: org, repo_name: gitops, token: t0ken }
services:
${names.map((name) => `  - { name: ${name}, github: main, k8s_yaml_dir: ${name} }`).join("\n")}
`);
  const [repo] = config.repos;
  if (!repo) throw new Error("the config has a repository");
  const time = createManualTime();
  const recorder = createRecorder({ store, config, clock: time, timers: time, log: silent, listeners: [] });
  const land = (service: string, objects: readonly string[], commit = "c1") =>
    recorder.record(
      {
        ...resultBase({ service, repo, trigger: "poll", dryRun: false, started: 0, now: 0 }),
        status: "applied",
        commit,
      } as SyncResult,
      { ...record(objects), commit },
    );
  return { recorder, land };
}

const silent = pino({ level: "silent" });

/** expectOwners checks that each service owns its objects now and that none of the objects before has an owner. */
function expectOwners(
  ownerOf: (ref: ObjectRef) => unknown,
  owned: Readonly<Record<string, string>>,
  gone: Iterable<string> = [],
) {
  for (const [object, service] of Object.entries(owned))
    expect(ownerOf(cm(object)), object).toEqual({ service });
  for (const object of gone) expect(ownerOf(cm(object)), object).toBeUndefined();
}

describe("ownerLookup over the recorder's state", () => {
  it("examines about one service per result over a first sync of 2 000 services and a second, not every service", async () => {
    const names = Array.from({ length: 2000 }, (_, i) => `s${i}`);
    const { recorder, land } = recorderOf(names);
    await recorder.load();
    let examined = 0;
    const ownerOf = ownerLookup(() => recorder.state(), { examined: (services) => (examined += services) });
    for (const name of names) {
      await land(name, [`${name}-a`]);
      expect(ownerOf(cm(`${name}-a`))).toEqual({ service: name });
    }
    const firstSync = examined;
    for (const name of names) {
      await land(name, [`${name}-b`], "c2");
      expect(ownerOf(cm(`${name}-b`))).toEqual({ service: name });
      expect(ownerOf(cm(`${name}-a`))).toBeUndefined();
    }
    // A walk of every service after every result examines N²/2 services a sync (2 000 000 here); reading the
    // journal examines one a result, plus one walk of the map each time its journal starts again.
    expect(firstSync).toBeLessThanOrEqual(2 * names.length);
    expect(examined - firstSync).toBeLessThanOrEqual(3 * names.length);
  });

  it("sees a service recorded a moment ago, and the objects a service no longer holds", async () => {
    const { recorder, land } = recorderOf(["web", "db"]);
    await recorder.load();
    const ownerOf = ownerLookup(() => recorder.state());
    await land("web", ["web-1"]);
    expectOwners(ownerOf, { "web-1": "web" });
    await land("db", ["db-1"]);
    expectOwners(ownerOf, { "db-1": "db", "web-1": "web" });
    await land("web", ["web-2"], "c2");
    expectOwners(ownerOf, { "db-1": "db", "web-2": "web" }, ["web-1"]);
  });

  it.each([
    ["a load", (recorder: Recorder) => recorder.load()],
    ["a refresh that reads other members' records", (recorder: Recorder) => recorder.refresh()],
  ])("follows a state replaced by %s: a service removed, an inventory changed", async (_, replace) => {
    const { store, others } = sharedStore();
    const { recorder, land } = recorderOf(["web", "db", "cache"], store);
    await recorder.load();
    const ownerOf = ownerLookup(() => recorder.state());
    await land("web", ["web-1"]);
    await land("db", ["db-1"]);
    expectOwners(ownerOf, { "db-1": "db", "web-1": "web" });
    await recorder.flush();
    others({ ...emptyState(), services: { web: record(["web-2"]), cache: record(["cache-1"]) } });
    await replace(recorder);
    expectOwners(ownerOf, { "web-2": "web", "cache-1": "cache" }, ["web-1", "db-1"]);
    // The next result goes into a copy of the replaced services: seen, and nothing from before comes back.
    await land("db", ["db-2"], "c2");
    expectOwners(ownerOf, { "web-2": "web", "cache-1": "cache", "db-2": "db" }, ["web-1", "db-1"]);
  });

  it("keeps two lookups right whatever each read last, across journals started again", async () => {
    // 12 services: the journal starts again every 12 results, so the lazy lookup finds it sometimes where it left
    // it (its cursor behind the eager one's) and sometimes started again.
    const names = Array.from({ length: 12 }, (_, i) => `s${i}`);
    const { recorder, land } = recorderOf(names);
    await recorder.load();
    const eager = ownerLookup(() => recorder.state());
    const lazy = ownerLookup(() => recorder.state());
    const owned = new Map<string, string>();
    const gone: string[] = [];
    for (let result = 0; result < 60; result++) {
      const service = names[(result * 7) % names.length] as string;
      for (const [object, owner] of owned) {
        if (owner !== service) continue;
        owned.delete(object);
        gone.push(object);
      }
      owned.set(`${service}-${result}`, service);
      await land(service, [`${service}-${result}`], `c${result}`);
      expectOwners(eager, Object.fromEntries(owned), gone);
      if (result % 5 === 4) expectOwners(lazy, Object.fromEntries(owned), gone);
    }
  });
});

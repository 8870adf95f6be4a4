import pino from "pino";
import { describe, expect, it } from "vitest";
import { createManualTime } from "../../test/manual-time.js";
import { parseConfig } from "../config/load.js";
import { createRecorder } from "./recorder.js";
import { resultBase, type SyncResult } from "./result.js";
import { type ControllerState, emptyServiceState, emptyState } from "./state/state.js";
import { type StateStore, StateStoreError } from "./state/store.js";

const silent = pino({ level: "silent" });
const config = parseConfig(`
github_configs:
  main: { repo_owner: org, repo_name: gitops, token: t0ken }
services:
  - { name: web, github: main, k8s_yaml_dir: web }
  - { name: db, github: main, k8s_yaml_dir: db }
`);
const [first] = config.repos;
if (!first) throw new Error("the config has a repository");
const repo = first;

/**
 * sharedState is one stored state that several members write, each through a store of its own that refuses a save
 * when another member saved since it last read or wrote, as the ConfigMap store does with a change it cannot merge;
 * `down` makes a member's saves fail, as an apiserver that does not answer, and a load answers only once `reading`
 * settles, as a read of many ConfigMaps takes its time.
 */
function sharedState() {
  let stored: ControllerState = emptyState();
  let version = 0;
  const member = () => {
    let seen = 0;
    const reach: { down: boolean; reading?: Promise<void> } = { down: false };
    const store: StateStore = {
      name: "shared",
      async load() {
        seen = version;
        const read = structuredClone(stored);
        await reach.reading;
        return read;
      },
      async save(state) {
        if (reach.down) throw new StateStoreError("the apiserver did not answer");
        if (seen !== version) throw new StateStoreError("changed by another writer since this one read it");
        stored = structuredClone(state);
        seen = ++version;
      },
    };
    return { store, reach };
  };
  return { member, stored: () => stored };
}

function recorderOn(store: StateStore) {
  const time = createManualTime();
  const recorder = createRecorder({ store, config, clock: time, timers: time, log: silent, listeners: [] });
  const landed = (service: string, commit: string) =>
    recorder.record(
      {
        ...resultBase({ service, repo, trigger: "poll", dryRun: false, started: 0, now: 0 }),
        status: "applied",
        commit,
      } as SyncResult,
      { ...emptyServiceState(), commit },
    );
  return { recorder, landed };
}

describe("a service handed to another member while its record was not written", () => {
  it("does not lay the old owner's record over the one its new owner wrote since", async () => {
    const shared = sharedState();
    const [a, b] = [shared.member(), shared.member()];
    const [old, next] = [recorderOn(a.store), recorderOn(b.store)];
    await Promise.all([old.recorder.load(), next.recorder.load()]);
    // a syncs web, but cannot write its record before web moves to b (its flush at letGo fails).
    a.reach.down = true;
    await old.landed("web", "w1");
    await old.recorder.flush();
    expect(old.recorder.reachable()).toBe(false);
    // b, web's owner now, syncs it at a newer commit and writes it.
    await next.recorder.refresh();
    await next.landed("web", "w2");
    await next.recorder.flush();
    // a reaches the apiserver again, records db (still its own) and reads the state before its next run.
    a.reach.down = false;
    await old.landed("db", "d1");
    await old.recorder.refresh();
    await old.recorder.flush();
    const commits = Object.fromEntries(
      Object.entries(shared.stored().services).map(([service, record]) => [service, record.commit]),
    );
    expect(commits).toEqual({ web: "w2", db: "d1" });
    expect(shared.stored().events.map((event) => [event.service, event.commit])).toEqual([
      ["web", "w2"],
      ["web", "w1"],
      ["db", "d1"],
    ]);
  });
});

describe("a change recorded while the state is read again", () => {
  it("is written over what was read, not over it with the records held before the read", async () => {
    const shared = sharedState();
    const [a, b] = [shared.member(), shared.member()];
    const [member, other] = [recorderOn(a.store), recorderOn(b.store)];
    await Promise.all([member.recorder.load(), other.recorder.load()]);
    await member.landed("web", "w1");
    await member.recorder.flush();
    await other.recorder.refresh();
    await other.landed("db", "d2");
    await other.recorder.flush();
    // a reads the state before its next run; a person suspends web on a while that read is under way.
    let read = () => {};
    a.reach.reading = new Promise((resolve) => {
      read = resolve;
    });
    const refreshed = member.recorder.refresh();
    await Promise.resolve();
    const suspended = member.recorder.changeSuspension("suspend", "web", { by: "alice" });
    await new Promise((resolve) => setImmediate(resolve));
    read();
    await Promise.all([refreshed, suspended]);
    await member.recorder.flush();
    const view = (state: ControllerState) => ({
      db: state.services.db?.commit,
      suspendedBy: state.services.web?.suspended?.by,
    });
    expect({ stored: view(shared.stored()), held: view(member.recorder.state()) }).toEqual({
      stored: { db: "d2", suspendedBy: "alice" },
      held: { db: "d2", suspendedBy: "alice" },
    });
  });

  it("still writes what is recorded after a read that failed", async () => {
    const shared = sharedState();
    const a = shared.member();
    const { recorder, landed } = recorderOn(a.store);
    await recorder.load();
    a.reach.reading = Promise.reject(new StateStoreError("the apiserver did not answer"));
    await expect(recorder.refresh()).rejects.toThrow("did not answer");
    a.reach.reading = undefined;
    await landed("web", "w1");
    await recorder.flush();
    expect(shared.stored().services.web?.commit).toBe("w1");
  });
});

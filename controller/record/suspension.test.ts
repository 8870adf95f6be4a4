import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createManualTime } from "../../test/manual-time.js";
import { parseConfig } from "../config/load.js";
import { createRecorder } from "./recorder.js";
import type { SyncResult } from "./result.js";
import { createFileStateStore } from "./state/file.js";
import { createMemoryStateStore } from "./state/memory.js";
import { type ControllerState, emptyServiceState, emptyState } from "./state/state.js";
import type { StateStore } from "./state/store.js";

const config = parseConfig(`
github_configs:
  main: { repo_owner: org, repo_name: gitops, token: t }
services:
  - { name: web, github: main, k8s_yaml_dir: web }
  - { name: db, github: main, k8s_yaml_dir: db }
`);
const log = pino({ level: "silent" });
const landedWeb: ControllerState = {
  ...emptyState(),
  services: { web: { ...emptyServiceState(), commit: "c1" } },
};

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "suspension-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function recorderOn(store: StateStore, heard: [string, boolean][] = []) {
  const time = createManualTime(Date.UTC(2026, 2, 1, 12));
  const recorder = createRecorder({
    store,
    config,
    clock: time,
    log,
    listeners: [],
    onSuspension: (service, suspended) => heard.push([service, suspended]),
  });
  return { recorder, time, heard };
}

/** aSync is a poll's sync of web at `commit` that applied nothing new. */
function aSync(commit: string): SyncResult {
  return {
    service: "web",
    repoKey: "main",
    repo: "org/gitops@main",
    commit,
    trigger: "poll",
    dryRun: false,
    status: "unchanged",
    startedAt: "2026-03-01T12:00:00.000Z",
    durationMs: 1,
    files: { changed: [], applied: [], failed: [], deleted: [] },
    objects: [],
    pruned: [],
    unhealthy: [],
    orphaned: [],
  };
}

describe("suspending and resuming a service", () => {
  it("records who, when, why and the commit held, in the saved state and the audit trail", async () => {
    const store = createFileStateStore(dir);
    await store.save(landedWeb);
    const { recorder } = recorderOn(store);
    await recorder.load();
    const change = await recorder.changeSuspension("suspend", "web", { by: "alice", reason: "incident 42" });
    const suspension = { by: "alice", at: "2026-03-01T12:00:00.000Z", reason: "incident 42", commit: "c1" };
    expect(change).toEqual({ changed: true, suspension });
    // A new process reads it back as it was written.
    const reloaded = await createFileStateStore(dir).load();
    expect(reloaded.services.web?.suspended).toEqual(suspension);
    expect(reloaded.events.map((e) => [e.kind, e.service, e.actor, e.reason, e.commit, e.trigger])).toEqual([
      ["suspend", "web", "alice", "incident 42", "c1", "manual"],
    ]);
    expect(reloaded.events[0]?.repo).toBe("org/gitops@main");
  });

  it("resumes once, keeping the first suspension's who and when until then", async () => {
    const { recorder, time } = recorderOn(createMemoryStateStore(landedWeb));
    await recorder.load();
    await recorder.changeSuspension("suspend", "web", { by: "alice" });
    await time.advance(60_000);
    const again = await recorder.changeSuspension("suspend", "web", { by: "bob", reason: "me too" });
    expect(again).toEqual({
      changed: false,
      suspension: { by: "alice", at: "2026-03-01T12:00:00.000Z", commit: "c1" },
    });
    const resumed = await recorder.changeSuspension("resume", "web", { by: "bob" });
    expect(resumed.changed).toBe(true);
    expect(recorder.state().services.web).not.toHaveProperty("suspended");
    expect(await recorder.changeSuspension("resume", "web", { by: "bob" })).toEqual({ changed: false });
    expect(recorder.state().events.map((e) => [e.kind, e.actor])).toEqual([
      ["suspend", "alice"],
      ["resume", "bob"],
    ]);
  });

  it("keeps a suspension made while a sync of the service was under way, when that sync is recorded", async () => {
    const { recorder } = recorderOn(createMemoryStateStore(landedWeb));
    await recorder.load();
    // The sync started from the state before the suspension, as a run does.
    const before = recorder.state().services.web ?? emptyServiceState();
    await recorder.changeSuspension("suspend", "web", { by: "alice" });
    await recorder.record(aSync("c2"), { ...before, commit: "c2" });
    expect(recorder.state().services.web?.commit).toBe("c2");
    expect(recorder.state().services.web?.suspended?.by).toBe("alice");
  });

  it("lays a suspension over a state another writer saved meanwhile, instead of losing either", async () => {
    const store = createMemoryStateStore(landedWeb);
    const { recorder } = recorderOn(store);
    await recorder.load();
    let refuse = true;
    const racing: StateStore = {
      name: "racing",
      load: () => store.load(),
      async save(state) {
        if (refuse) {
          refuse = false;
          // Another leader saved db meanwhile; this save is refused, as a conflict-checked store refuses it.
          await store.save({
            ...landedWeb,
            services: { ...landedWeb.services, db: { ...emptyServiceState(), commit: "d9" } },
          });
          throw new Error("conflict");
        }
        await store.save(state);
      },
    };
    const { recorder: second } = recorderOn(racing);
    await second.load();
    await second.changeSuspension("suspend", "web", { by: "alice" });
    const saved = await store.load();
    expect(saved.services.db?.commit).toBe("d9");
    expect(saved.services.web?.suspended?.by).toBe("alice");
    expect(saved.events.map((e) => e.kind)).toEqual(["suspend"]);
  });

  it("tells whether each service is suspended after a load, and each change", async () => {
    const store = createMemoryStateStore({
      ...landedWeb,
      services: { web: { ...emptyServiceState(), suspended: { by: "x", at: "2026-01-01T00:00:00.000Z" } } },
    });
    const { recorder, heard } = recorderOn(store);
    await recorder.load();
    expect(heard).toEqual([
      ["web", true],
      ["db", false],
    ]);
    heard.length = 0;
    await recorder.changeSuspension("resume", "web", { by: "y" });
    await recorder.changeSuspension("suspend", "db", { by: "y" });
    expect(heard).toEqual([
      ["web", false],
      ["db", true],
    ]);
  });
});

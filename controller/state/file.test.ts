import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createFileStateStore } from "./file.js";
import { emptyServiceState, emptyState, MAX_EVENTS, withEvents } from "./state.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "state-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("file state store", () => {
  it("loads the empty state when nothing was saved", async () => {
    expect(await createFileStateStore(join(dir, "new")).load()).toEqual(emptyState());
  });

  it("saves and loads the same state, leaving no temp file behind", async () => {
    const store = createFileStateStore(join(dir, "s"));
    const state = {
      ...emptyState(),
      services: { etcd: { ...emptyServiceState(), commit: "abc", files: { "a.yaml": "1" } } },
    };
    await store.save(state);
    expect(await createFileStateStore(join(dir, "s")).load()).toEqual(state);
    expect(await readdir(join(dir, "s"))).toEqual(["state.json"]);
  });

  it("refuses a corrupt file with what to do, instead of starting over silently", async () => {
    await writeFile(join(dir, "state.json"), "{ half");
    await expect(createFileStateStore(dir).load()).rejects.toThrow(/not valid JSON; move it aside/);
    await writeFile(join(dir, "state.json"), JSON.stringify({ version: 9 }));
    await expect(createFileStateStore(dir).load()).rejects.toThrow(/not a simple-gitops state/);
  });

  it("reports a directory it cannot write as a state error", async () => {
    await writeFile(join(dir, "file"), "x");
    await expect(createFileStateStore(join(dir, "file", "sub")).save(emptyState())).rejects.toMatchObject({
      code: "E_STATE",
    });
  });

  it("keeps the audit trail bounded", () => {
    const event = {
      id: "e",
      time: "t",
      trigger: "poll",
      kind: "apply",
      service: "s",
      repo: "r",
      commit: "c",
      result: "succeeded",
      objects: [],
      durationMs: 1,
    } as const;
    const state = withEvents(
      emptyState(),
      Array.from({ length: MAX_EVENTS + 5 }, (_, i) => ({ ...event, id: String(i) })),
    );
    expect(state.events).toHaveLength(MAX_EVENTS);
    expect(state.events.at(-1)?.id).toBe(String(MAX_EVENTS + 4));
  });

  it("writes the state readable only by its owner", async () => {
    await createFileStateStore(dir).save(emptyState());
    expect((await stat(join(dir, "state.json"))).mode & 0o777).toBe(0o600);
  });
});

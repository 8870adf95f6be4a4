import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
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

  const unreadable = [
    { name: "an empty file", text: "" },
    { name: "a truncated file", text: JSON.stringify({ version: 1, services: {}, events: [] }).slice(0, 20) },
    { name: "garbage", text: "\u0000\u0001 not json at all" },
    { name: "another version's state", text: JSON.stringify({ version: 9, services: {}, events: [] }) },
  ];
  it.each(unreadable)("moves $name aside, says where in an error line, and starts empty", async ({
    text,
  }) => {
    await writeFile(join(dir, "state.json"), text);
    const lines: { level: number; msg: string; movedTo?: string }[] = [];
    const log = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const at = Date.UTC(2026, 10, 30, 6, 30, 5);
    const store = createFileStateStore(dir, { log, now: () => at });

    expect(await store.load()).toEqual(emptyState());
    const aside = join(dir, "state.json.corrupt-20261130t063005z");
    expect(await readFile(aside, "utf8")).toBe(text);
    expect(lines).toEqual([expect.objectContaining({ level: 50, movedTo: aside })]);
    expect(lines[0]?.msg).toContain(aside);
    // The store works on: the next save and load are an ordinary round trip.
    await store.save({ ...emptyState(), services: { web: { ...emptyServiceState(), commit: "c1" } } });
    expect((await store.load()).services.web?.commit).toBe("c1");
    expect((await readdir(dir)).sort()).toEqual(["state.json", "state.json.corrupt-20261130t063005z"]);
  });

  it("drops a malformed service entry with an error naming it and the field, and keeps the rest", async () => {
    const good = { ...emptyServiceState(), commit: "c1", lastDeployTime: "2026-01-01T00:00:00.000Z" };
    const bad = { ...emptyServiceState(), commit: "c2", lastDeployTime: "last tuesday" };
    await writeFile(
      join(dir, "state.json"),
      JSON.stringify({ version: 1, services: { web: good, api: bad }, repos: {}, events: [] }),
    );
    const lines: { level: number; msg: string; entry?: string; reason?: string }[] = [];
    const log = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line)) });

    const state = await createFileStateStore(dir, { log }).load();
    expect(state.services).toEqual({ web: good });
    expect(lines).toEqual([
      expect.objectContaining({
        level: 50,
        entry: 'service "api"',
        reason: expect.stringContaining("lastDeployTime"),
      }),
    ]);
    // Nothing was moved aside: the file as a whole was readable.
    expect(await readdir(dir)).toEqual(["state.json"]);
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

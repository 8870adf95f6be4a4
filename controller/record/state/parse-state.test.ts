import { describe, expect, it } from "vitest";
import { corruptSuffix, parseState } from "./parse-state.js";
import { emptyServiceState } from "./state.js";

const event = {
  id: "1",
  time: "2026-01-01T00:00:00.000Z",
  trigger: "poll",
  kind: "apply",
  service: "web",
  repo: "o/r@main",
  commit: "c1",
  result: "succeeded",
  objects: [],
  durationMs: 3,
};

describe("parseState", () => {
  it("fills what an older record lacks and reads its map of objects as none, dropping configFiles", () => {
    const parsed = parseState(
      JSON.stringify({
        version: 1,
        services: { web: { commit: "c1", objects: { "a.yaml": {} }, configFiles: { x: 1 } } },
        events: [],
      }),
    );
    expect(parsed).toEqual({
      ok: true,
      state: {
        version: 1,
        services: { web: { ...emptyServiceState(), commit: "c1" } },
        repos: {},
        events: [],
      },
      dropped: [],
    });
  });

  it("keeps fields it does not know, in a service and at the top, so their data survives a round trip", () => {
    const web = { ...emptyServiceState(), commit: "c1", sourceWait: { until: "later" } };
    const waiting = {
      gitops: { code: "E_SOURCE_RATE_LIMITED", message: "m", since: "2026-01-01T00:00:00Z" },
    };
    const parsed = parseState(
      JSON.stringify({ version: 1, services: { web }, repos: {}, events: [], waiting }),
    );
    expect(parsed.ok && parsed.state).toEqual({
      version: 1,
      services: { web },
      repos: {},
      events: [],
      waiting,
    });
  });

  it("reads back a suspension, a rollback, a history and suspend/resume audit events as they were written", () => {
    const web = {
      ...emptyServiceState(),
      commit: "c1",
      suspended: { by: "alice", at: event.time, reason: "rolled back to c1", commit: "c1" },
      rolledBack: { restoredCommit: "c1", fromCommit: "c2", at: event.time, by: "alice", reason: "x" },
      history: [
        { commit: "c1", time: event.time, trigger: "rollback", objects: 2 },
        { commit: "c2", time: event.time, trigger: "poll", objects: 3, files: ["web/a.yaml"] },
      ],
    };
    const events = [
      { ...event, kind: "suspend", actor: "alice", reason: "why" },
      { ...event, id: "2", kind: "resume", actor: "bob" },
    ];
    const parsed = parseState(JSON.stringify({ version: 1, services: { web }, repos: {}, events }));
    expect(parsed).toEqual({
      ok: true,
      state: { version: 1, services: { web }, repos: {}, events },
      dropped: [],
    });
  });

  it.each([
    { name: "a suspension without who", field: { suspended: { at: event.time } }, reason: /suspended\.by/ },
    {
      name: "a suspension at no time",
      field: { suspended: { by: "a", at: "later" } },
      reason: /suspended\.at/,
    },
    {
      name: "a history entry without its commit",
      field: { history: [{ time: event.time, trigger: "poll", objects: 1 }] },
      reason: /history\[0\]\.commit/,
    },
    {
      name: "a history entry with a negative count",
      field: { history: [{ commit: "c", time: event.time, trigger: "poll", objects: -1 }] },
      reason: /history\[0\]\.objects/,
    },
    {
      name: "a rollback without its commit",
      field: { rolledBack: { at: event.time, by: "a", reason: "" } },
      reason: /rolledBack\.restoredCommit/,
    },
  ])("drops a service with $name, naming the field", ({ field, reason }) => {
    const parsed = parseState(
      JSON.stringify({ version: 1, services: { web: { ...emptyServiceState(), ...field } }, events: [] }),
    );
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(parsed.state.services).toEqual({});
    expect(parsed.dropped[0]?.reason).toMatch(reason);
  });

  it("drops each invalid service, repository and audit event on its own, naming it", () => {
    const parsed = parseState(
      JSON.stringify({
        version: 1,
        services: {
          web: { ...emptyServiceState(), commit: "c1" },
          api: { ...emptyServiceState(), inventory: [{ kind: "ConfigMap" }] },
          db: { ...emptyServiceState(), lastError: { message: "x", code: "E", at: "never" } },
        },
        repos: { good: { commit: "c1", time: event.time }, bad: { commit: "c1", time: "soon" } },
        events: [event, { ...event, id: 2, time: "then" }],
      }),
    );
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(Object.keys(parsed.state.services)).toEqual(["web"]);
    expect(Object.keys(parsed.state.repos)).toEqual(["good"]);
    expect(parsed.state.events).toEqual([event]);
    expect(parsed.dropped.map((d) => d.entry)).toEqual([
      'service "api"',
      'service "db"',
      'repository "bad"',
      "audit event 1",
    ]);
    expect(parsed.dropped[0]?.reason).toMatch(/inventory\[0\]\.apiVersion/);
    expect(parsed.dropped[1]?.reason).toMatch(/lastError\.at: expected an ISO 8601 time/);
  });

  it.each([
    { name: "empty", text: "", reason: /not valid JSON/ },
    { name: "an array", text: "[]", reason: /not a simple-gitops state \(version 1\)/ },
    { name: "no services", text: '{"version":1,"events":[]}', reason: /services: required/ },
  ])("refuses a document that is $name as a whole", ({ text, reason }) => {
    const parsed = parseState(text);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.reason).toMatch(reason);
  });

  it("names a moved-aside copy by its time, in characters a Kubernetes name allows", () => {
    expect(corruptSuffix(Date.UTC(2026, 0, 2, 3, 4, 5, 678))).toBe("corrupt-20260102t030405z");
  });
});

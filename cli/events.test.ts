import { describe, expect, it } from "vitest";
import { withEvents } from "../controller/record/state/state.js";
import { cli, useCliServer } from "../test/cli/cli-harness.js";
import { testEvent } from "../test/server/test-harness.js";

const server = useCliServer();

const rows = (text: string) =>
  text
    .trimEnd()
    .split("\n")
    .map((line) => line.split(/ {3,}/));
const suspendEvent = testEvent(4, {
  id: "ev-4",
  kind: "suspend",
  trigger: "manual",
  actor: "alice",
  reason: "incident 42",
  time: "2025-09-01T11:45:00.000Z",
});

describe("events", () => {
  it("prints the audit trail oldest first, with who and why", async () => {
    server.t.state = withEvents(server.t.state, [suspendEvent]);
    const run = await cli(["events", "--server", server.t.url]);
    expect(run.code).toBe(0);
    expect(rows(run.stdout)).toEqual([
      ["AGE", "SERVICE", "KIND", "TRIGGER", "RESULT", "COMMIT", "ACTOR", "MESSAGE"],
      ["45m", "etcd", "apply", "poll", "succeeded", "c1", "<none>", "<none>"],
      ["45m", "monitoring", "apply", "poll", "failed", "c2", "<none>", "apply failed: <b>bad</b>"],
      ["45m", "etcd", "apply", "poll", "succeeded", "c3", "<none>", "<none>"],
      ["60s", "etcd", "suspend", "manual", "succeeded", "c4", "alice", "incident 42"],
    ]);
  });

  it("shows one service's events with --service, the newest N with --limit", async () => {
    const service = await cli(["events", "--service", "monitoring", "--server", server.t.url]);
    expect(rows(service.stdout).map((row) => row[1])).toEqual(["SERVICE", "monitoring"]);
    const limited = await cli(["events", "--limit", "1", "-o", "json", "--server", server.t.url]);
    expect(JSON.parse(limited.stdout).events.map((event: { id: string }) => event.id)).toEqual(["ev-3"]);
  });

  it("with --follow, prints each new event once, until the signal ends it", async () => {
    const stop = new AbortController();
    const later = testEvent(5, { id: "ev-5", service: "hello", result: "failed", error: "E_APPLY boom" });
    const run = await cli(["events", "--follow", "--server", server.t.url], {
      signal: stop.signal,
      onSleep: (n) => {
        if (n === 2) server.t.state = withEvents(server.t.state, [later]);
        if (n === 4) stop.abort();
      },
    });
    expect(run.code).toBe(0);
    const printed = rows(run.stdout);
    expect(printed.map((row) => row[3] === undefined || row[5])).toEqual(["COMMIT", "c1", "c2", "c3", "c5"]);
    expect(printed.at(-1)?.at(-1)).toBe("E_APPLY boom");
    expect(run.slept).toEqual([2000, 2000, 2000, 2000]);
  });

  it("with --follow -o json, prints one JSON event per line", async () => {
    const stop = new AbortController();
    const run = await cli(["events", "-f", "-o", "json", "--server", server.t.url], {
      signal: stop.signal,
      onSleep: (n) => {
        if (n === 1) server.t.state = withEvents(server.t.state, [suspendEvent]);
        if (n === 2) stop.abort();
      },
    });
    expect(
      run.stdout
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line).id),
    ).toEqual(["ev-1", "ev-2", "ev-3", "ev-4"]);
  });

  it("with --follow, says a failed read on stderr and goes on", async () => {
    const stop = new AbortController();
    const good = server.t.state;
    const run = await cli(["events", "--follow", "--server", server.t.url], {
      signal: stop.signal,
      onSleep: (n) => {
        // A state the server cannot answer from: one read fails with 500, as a controller in trouble would.
        if (n === 1) server.t.state = { ...good, events: null as never };
        if (n === 2) server.t.state = withEvents(good, [suspendEvent]);
        if (n === 3) stop.abort();
      },
    });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(
      /^simple-gitops: events: GET \/v1\/gitops\/events\?limit=200: the controller answered 500/,
    );
    expect(run.stderr).toMatch(/; trying again\n$/);
    expect(rows(run.stdout).at(-1)?.at(-1)).toBe("incident 42");
  });

  it("exits 2 for an unknown service and a --limit out of range", async () => {
    const unknown = await cli(["events", "--service", "nope", "--server", server.t.url]);
    const limit = await cli(["events", "--limit", "500", "--server", server.t.url]);
    expect([unknown.code, limit.code]).toEqual([2, 2]);
    expect(limit.stderr).toContain('--limit must be a whole number from 1 to 200, not "500"');
  });
});

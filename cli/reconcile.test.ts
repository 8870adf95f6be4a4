import { describe, expect, it } from "vitest";
import { withEvents } from "../controller/record/state/state.js";
import { cli, manualResult, SYNC_TOKEN, useCliServer } from "../test/cli/cli-harness.js";
import { TEST_NOW } from "../test/server/test-harness.js";

const server = useCliServer();

const env = { GITOPS_SYNC_TOKEN: SYNC_TOKEN };
/** landAfter appends `event` to the controller's state at the CLI's `n`th wait, as the loop records a sync. */
const landAfter =
  (n: number, ...events: Parameters<typeof withEvents>[1]) =>
  (call: number) => {
    if (call === n) server.t.state = withEvents(server.t.state, events);
  };

describe("reconcile", () => {
  it("asks for a manual sync of the service and returns without waiting", async () => {
    const run = await cli(["reconcile", "etcd", "--server", server.t.url], { env });
    expect([run.code, run.slept]).toEqual([0, []]);
    expect(server.t.syncRequests).toEqual([{ trigger: "manual", service: "etcd" }]);
    expect(run.stdout).toContain("sync of etcd requested; follow it with: simple-gitops get services etcd");
  });

  it("with --wait, follows the service until this sync's result lands and exits 0 on success", async () => {
    const run = await cli(["reconcile", "etcd", "--wait", "--server", server.t.url], {
      env,
      onSleep: landAfter(3, manualResult("etcd")),
    });
    expect(run.code).toBe(0);
    expect(run.slept).toEqual([1000, 1000, 1000]);
    expect(run.stdout).toBe("synced etcd at c0ffee123456: 1 configured, 1 unchanged (1.5 s)\n");
  });

  it("with --wait, exits 1 with the sync's error when it failed", async () => {
    const failed = manualResult("etcd", {
      result: "failed",
      error: 'Deployment "web" is invalid: spec.replicas',
    });
    const run = await cli(["reconcile", "etcd", "--wait", "--server", server.t.url], {
      env,
      onSleep: landAfter(1, failed),
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("sync failed: etcd at c0ffee123456");
    expect(run.stderr).toContain('Deployment "web" is invalid: spec.replicas');
  });

  it.each([
    {
      name: "a result already there before the request",
      before: [manualResult("etcd", { id: "before", result: "failed", error: "before" }, 100)],
      lands: [],
    },
    {
      name: "a manual sync that started before the request",
      before: [],
      lands: [manualResult("etcd", { id: "earlier", result: "failed", error: "earlier" }, -60_000)],
    },
    {
      name: "a poll's sync",
      before: [],
      lands: [manualResult("etcd", { id: "poll", trigger: "poll", result: "failed", error: "poll" })],
    },
    {
      name: "a suspend of the service, recorded with trigger manual",
      before: [],
      lands: [manualResult("etcd", { id: "suspend", kind: "suspend", actor: "bob", objects: [] })],
    },
    {
      name: "another service's sync",
      before: [],
      lands: [manualResult("monitoring", { id: "other", result: "failed", error: "other" })],
    },
  ])("with --wait, does not take $name for this sync's result", async ({ before, lands }) => {
    server.t.state = withEvents(server.t.state, before);
    const run = await cli(["reconcile", "etcd", "--wait", "--server", server.t.url], {
      env,
      onSleep: (n) => {
        landAfter(1, ...lands)(n);
        landAfter(2, manualResult("etcd", {}, 900))(n);
      },
    });
    expect([run.code, run.slept.length, run.stderr]).toEqual([
      0,
      2,
      "sync of etcd requested; waiting for its result\n",
    ]);
  });

  it("with --wait, gives up after --timeout by the clock, saying the sync may still run", async () => {
    const run = await cli(["reconcile", "etcd", "--wait", "--timeout", "5s", "--server", server.t.url], {
      env,
    });
    expect(run.code).toBe(1);
    expect(run.slept.reduce((sum, ms) => sum + ms, 0)).toBe(5000);
    expect(run.stderr).toContain("no result for etcd within 5 s; the sync may still be running");
  });

  it("exits 1 for a suspended service, saying who holds it and how to resume", async () => {
    const etcd = server.t.state.services.etcd;
    if (!etcd) throw new Error("test state has no etcd");
    const suspended = { by: "alice", at: TEST_NOW.toISOString(), reason: "incident 42" };
    server.t.state = {
      ...server.t.state,
      services: { ...server.t.state.services, etcd: { ...etcd, suspended } },
    };
    const run = await cli(["reconcile", "etcd", "--wait", "--server", server.t.url], { env });
    expect([run.code, run.slept]).toEqual([1, []]);
    expect(run.stderr).toContain("service etcd is suspended (by alice");
  });

  it("exits 2 naming GITOPS_SYNC_TOKEN when it is not set, before asking anything", async () => {
    const run = await cli(["reconcile", "etcd", "--server", server.t.url]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      "reconcile needs the controller's sync token: set GITOPS_SYNC_TOKEN (or pass --token)",
    );
    expect(server.t.syncRequests).toEqual([]);
  });

  it("exits 2 naming GITOPS_SYNC_TOKEN when the controller refuses the token, never printing it", async () => {
    const run = await cli(["reconcile", "etcd", "--server", server.t.url, "--token", "wrong-token-value"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("the controller answered 401");
    expect(run.stderr).toContain("Set GITOPS_SYNC_TOKEN (or pass --token)");
    expect(run.stderr).not.toContain("wrong-token-value");
  });

  it("exits 2 for an unknown service and for a bad --timeout", async () => {
    const unknown = await cli(["reconcile", "nope", "--server", server.t.url], { env });
    const timeout = await cli(
      ["reconcile", "etcd", "--wait", "--timeout", "soon", "--server", server.t.url],
      {
        env,
      },
    );
    expect([unknown.code, timeout.code]).toEqual([2, 2]);
    expect(unknown.stderr).toContain('unknown service "nope"');
    expect(timeout.stderr).toContain(
      '--timeout must be a duration from 1s to 24h (30s, 5m, 1h30m), not "soon"',
    );
  });
});

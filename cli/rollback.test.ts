import { describe, expect, it, vi } from "vitest";
import { cli, rolledBack, SYNC_TOKEN, startCliServer, useCliServer } from "../test/cli/cli-harness.js";
import { createManualTime } from "../test/manual-time.js";
import { testConfig } from "../test/server/test-harness.js";

const server = useCliServer();

const env = { GITOPS_SYNC_TOKEN: SYNC_TOKEN };
const SHA = "9b7d04aa".repeat(5);

describe("rollback", () => {
  it("queues a rollback to the commit as the OS user and says how to follow it", async () => {
    const run = await cli(["rollback", "etcd", "--to", "9b7d04a", "--server", server.t.url], { env });
    expect(run.code).toBe(0);
    expect(server.loop.asked).toEqual([
      { kind: "rollback", service: "etcd", by: "tester", commit: "9b7d04a" },
    ]);
    expect(run.stdout).toBe(
      "rollback of etcd to 9b7d04a queued; follow it with: simple-gitops get services etcd\n",
    );
  });

  it("with --wait, prints what was applied and pruned and that the service is held there", async () => {
    server.loop.rollbackOutcome = rolledBack("applied", SHA);
    const run = await cli(["rollback", "etcd", "--to", SHA, "--wait", "--server", server.t.url], { env });
    expect([run.code, run.stderr]).toEqual([0, ""]);
    expect(run.stdout).toBe(
      `rolled back etcd to 9b7d04a: 1 configured, 1 unchanged; pruned 1 deleted\netcd is suspended at 9b7d04a until: simple-gitops resume etcd\n`,
    );
  });

  it("with --wait, exits 1 with the controller's message when the rollback failed", async () => {
    server.loop.rollbackOutcome = rolledBack("failed", SHA);
    const run = await cli(
      ["rollback", "etcd", "--to", SHA, "--wait", "-o", "json", "--server", server.t.url],
      {
        env,
      },
    );
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ error: "rollback_failed", result: { status: "failed" } });
    expect(run.stderr).toContain("Deployment default/web did not become available in 300 s");
  });

  it("with --wait, exits 1 when the rollback did not run", async () => {
    server.loop.rollbackOutcome = {
      status: "not_run",
      reason: "the controller stopped before the rollback of etcd ran",
    };
    const run = await cli(["rollback", "etcd", "--to", SHA, "--wait", "--server", server.t.url], { env });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("the controller stopped before the rollback of etcd ran");
  });

  it("with --wait, exits 1 saying the rollback still runs when the controller's bound passed first", async () => {
    const time = createManualTime();
    const { t } = await startCliServer({ timers: time });
    try {
      const running = cli(["rollback", "etcd", "--to", SHA, "--wait", "--server", t.url], { env });
      await vi.waitFor(() => expect(time.pending()).toBe(1));
      const { applyTimeoutSeconds, healthTimeoutSeconds } = testConfig();
      await time.advance((applyTimeoutSeconds + healthTimeoutSeconds) * 1000);
      const run = await running;
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        "the rollback of etcd to 9b7d04a is still running after the controller's bound (apply_timeout + health_timeout)",
      );
    } finally {
      await t.server.close();
    }
  });

  it("exits 2 without --to, with a commit the controller refuses, or without the sync token", async () => {
    const noCommit = await cli(["rollback", "etcd", "--server", server.t.url], { env });
    const badCommit = await cli(["rollback", "etcd", "--to", "HEAD~1", "--server", server.t.url], { env });
    const noToken = await cli(["rollback", "etcd", "--to", SHA, "--server", server.t.url]);
    expect([noCommit.code, badCommit.code, noToken.code]).toEqual([2, 2, 2]);
    expect(noCommit.stderr).toContain("rollback needs --to COMMIT, one of: simple-gitops history etcd");
    expect(badCommit.stderr).toContain('commit must be a commit SHA, 7 to 40 hex characters, not "HEAD~1"');
    expect(noToken.stderr).toContain("set GITOPS_SYNC_TOKEN (or pass --token)");
    expect(server.loop.asked).toEqual([]);
  });
});

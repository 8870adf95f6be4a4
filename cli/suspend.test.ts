import { describe, expect, it } from "vitest";
import { cli, SYNC_TOKEN, useCliServer } from "../test/cli/cli-harness.js";

const server = useCliServer();

const env = { GITOPS_SYNC_TOKEN: SYNC_TOKEN };

describe("suspend and resume", () => {
  it("suspends a service as the OS user with the reason, and says where it is held", async () => {
    const run = await cli(["suspend", "etcd", "--reason", "incident 42", "--server", server.t.url], { env });
    expect(run.code).toBe(0);
    expect(server.loop.asked).toEqual([
      { kind: "suspend", service: "etcd", by: "tester", reason: "incident 42" },
    ]);
    expect(run.stdout).toBe(
      "etcd suspended by tester at 2025-09-01T11:46:00.123Z (incident 42), held at a1b2c3d: nothing is applied, " +
        "corrected or pruned until: simple-gitops resume etcd\n",
    );
    const view = (await (await fetch(`${server.t.url}/v1/gitops/services/etcd`)).json()) as {
      suspended: unknown;
    };
    expect(view.suspended).toMatchObject({ by: "tester", reason: "incident 42" });
  });

  it("sends --actor instead of the OS user, and says when the service was suspended already", async () => {
    await cli(["suspend", "etcd", "--actor", "alice", "--server", server.t.url], { env });
    const again = await cli(["suspend", "etcd", "--actor", "bob", "--server", server.t.url], { env });
    expect(server.loop.asked.map((ask) => ask.by)).toEqual(["alice", "bob"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^etcd was already suspended by alice at /);
  });

  it("resumes a suspended service, saying whose suspension it ended, and one that was not", async () => {
    await cli(["suspend", "etcd", "--actor", "alice", "--server", server.t.url], { env });
    const resumed = await cli(["resume", "etcd", "--server", server.t.url], { env });
    const again = await cli(["resume", "etcd", "--server", server.t.url], { env });
    expect([resumed.code, again.code]).toEqual([0, 0]);
    expect(resumed.stdout).toMatch(
      /^etcd resumed \(it was suspended by alice at .*\): the next poll applies/,
    );
    expect(again.stdout).toBe("etcd was not suspended\n");
    expect(server.loop.asked.map((ask) => [ask.kind, ask.by])).toEqual([
      ["suspend", "alice"],
      ["resume", "tester"],
      ["resume", "tester"],
    ]);
  });

  it("prints the API's answer with -o json", async () => {
    const run = await cli(["suspend", "etcd", "-o", "json", "--server", server.t.url], { env });
    expect(JSON.parse(run.stdout)).toMatchObject({
      service: "etcd",
      changed: true,
      suspended: { by: "tester" },
    });
  });

  it("exits 2 naming GITOPS_SYNC_TOKEN without a token, and for an unknown service", async () => {
    const noToken = await cli(["resume", "etcd", "--server", server.t.url]);
    const unknown = await cli(["suspend", "nope", "--server", server.t.url], { env });
    expect([noToken.code, unknown.code]).toEqual([2, 2]);
    expect(noToken.stderr).toContain("resume needs the controller's sync token: set GITOPS_SYNC_TOKEN");
    expect(server.loop.asked).toEqual([]);
    expect(unknown.stderr).toContain("404");
  });
});

import { beforeEach, describe, expect, it } from "vitest";
import { cli, useCliServer } from "../test/cli/cli-harness.js";
import { testState } from "../test/server/test-harness.js";

const server = useCliServer();

const history = [
  {
    commit: "3f2a9c1e".repeat(5),
    time: "2025-09-01T11:40:00.000Z",
    trigger: "rollback" as const,
    objects: 4,
  },
  {
    commit: "9b7d04aa".repeat(5),
    time: "2025-08-30T11:46:00.000Z",
    trigger: "poll" as const,
    objects: 5,
    files: ["examples/etcd/statefulset.yaml", "examples/etcd/service.yaml"],
  },
];
beforeEach(() => {
  const state = testState();
  const etcd = state.services.etcd;
  if (!etcd) throw new Error("test state has no etcd");
  server.t.state = { ...state, services: { ...state.services, etcd: { ...etcd, history } } };
});

describe("history", () => {
  it("lists the landed commits newest first: short commit, age, trigger, objects, files", async () => {
    const run = await cli(["history", "etcd", "--server", server.t.url]);
    expect(run.code).toBe(0);
    expect(
      run.stdout
        .trimEnd()
        .split("\n")
        .map((line) => line.split(/ {3,}/)),
    ).toEqual([
      ["COMMIT", "LANDED", "TRIGGER", "OBJECTS", "FILES"],
      ["3f2a9c1", "6m", "rollback", "4", "<none>"],
      ["9b7d04a", "2d", "poll", "5", "examples/etcd/statefulset.yaml, examples/etcd/service.yaml"],
    ]);
  });

  it("prints the API's answer with -o yaml, and says when nothing landed yet", async () => {
    const run = await cli(["history", "etcd", "-o", "json", "--server", server.t.url]);
    expect(JSON.parse(run.stdout)).toMatchObject({ service: "etcd", count: 2, history });
    const none = await cli(["history", "hello", "--server", server.t.url]);
    expect([none.code, none.stdout, none.stderr]).toEqual([
      0,
      "",
      "hello has landed no commit yet: nothing to roll back to\n",
    ]);
  });

  it("exits 2 for an unknown service and without the SERVICE argument", async () => {
    const unknown = await cli(["history", "nope", "--server", server.t.url]);
    const missing = await cli(["history", "--server", server.t.url]);
    expect([unknown.code, missing.code]).toEqual([2, 2]);
    expect(missing.stderr).toContain("history needs SERVICE");
  });
});

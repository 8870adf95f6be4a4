import yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { Secret } from "../controller/config/secret.js";
import { cli, useCliServer } from "../test/cli/cli-harness.js";
import { startTestServer, testConfig } from "../test/server/test-harness.js";

const server = useCliServer();

const lines = (text: string) => text.trimEnd().split("\n");
/** cells splits a kubectl-style table row on its 3-space column gaps. */
const cells = (line: string | undefined) => (line ?? "").split(/ {3,}/);

describe("get services", () => {
  it("lists every service as a table: state, short commit, age of the last deploy, why it failed", async () => {
    const run = await cli(["get", "services", "--server", server.t.url]);
    expect([run.code, run.stderr]).toEqual([0, ""]);
    const [header, etcd, monitoring, hello] = lines(run.stdout);
    expect(cells(header)).toEqual(["NAME", "STATE", "COMMIT", "LAST DEPLOY", "SUSPENDED", "MESSAGE"]);
    // The server's clock is 11:46:00; etcd landed at 11:45:02 and monitoring at 09:00 the day before.
    expect(cells(etcd)).toEqual(["etcd", "deployed", "a1b2c3d", "58s", "False", "<none>"]);
    expect(cells(monitoring).slice(0, 5)).toEqual(["monitoring", "failed", "0000000", "26h", "False"]);
    expect(cells(monitoring)[5]).toBe(
      'E_APPLY: Deployment "prometheus" is invalid: <script>alert(1)</script>',
    );
    expect(cells(hello)).toEqual(["hello", "pending", "<none>", "<none>", "False", "not synced yet"]);
  });

  it("says who suspended a service and why, and what it was rolled back to", async () => {
    const etcd = server.t.state.services.etcd;
    if (!etcd) throw new Error("test state has no etcd");
    server.t.state = {
      ...server.t.state,
      services: {
        ...server.t.state.services,
        etcd: {
          ...etcd,
          suspended: { by: "alice", at: "2025-09-01T11:40:00.000Z", reason: "incident 42" },
          rolledBack: {
            restoredCommit: "feedface".repeat(5),
            fromCommit: etcd.commit ?? "",
            at: "2025-09-01T11:40:00.000Z",
            by: "alice",
            reason: "bad",
          },
        },
      },
    };
    const run = await cli(["get", "services", "etcd", "--server", server.t.url]);
    expect(lines(run.stdout).map(cells)[1]?.slice(4)).toEqual([
      "True",
      "rolled back to feedfac by alice; suspended by alice: incident 42",
    ]);
  });

  it("prints the API's answer with -o json and -o yaml, every page as one", async () => {
    const json = await cli(["get", "services", "-o", "json", "--server", server.t.url]);
    const api = await (await fetch(`${server.t.url}/v1/gitops/services`)).json();
    expect(JSON.parse(json.stdout)).toEqual(api);
    const asYaml = await cli(["get", "services", "etcd", "--output", "yaml", "--server", server.t.url]);
    const detail = await (await fetch(`${server.t.url}/v1/gitops/services/etcd`)).json();
    expect(yaml.load(asYaml.stdout)).toEqual(detail);
  });

  it("reads every page of a long list", async () => {
    const [first] = testConfig().services;
    if (!first) throw new Error("test config has no service");
    const many = Array.from({ length: 1205 }, (_, i) => ({ ...first, name: `svc-${i}` }));
    const big = await startTestServer({ config: testConfig({ services: many }) });
    try {
      const run = await cli(["get", "services", "-o", "json", "--server", big.url]);
      const answer = JSON.parse(run.stdout);
      expect([answer.count, answer.total, answer.services.at(-1).name, answer.next]).toEqual([
        1205,
        1205,
        "svc-1204",
        null,
      ]);
    } finally {
      await big.server.close();
    }
  });

  it("takes SIMPLE_GITOPS_SERVER when --server is not given, with a path prefix kept", async () => {
    const run = await cli(["get", "services", "etcd"], { env: { SIMPLE_GITOPS_SERVER: `${server.t.url}/` } });
    expect([run.code, cells(lines(run.stdout)[1])[0]]).toEqual([0, "etcd"]);
  });

  it("exits 2 naming the service when the controller does not know it", async () => {
    const run = await cli(["get", "services", "nope", "--server", server.t.url]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown service "nope" (known: etcd, monitoring, hello)');
  });
});

describe("get repos", () => {
  it("lists each repository with the commit every service of it landed at", async () => {
    const run = await cli(["get", "repos", "--server", server.t.url]);
    expect(lines(run.stdout).map(cells)).toEqual([
      ["NAME", "BRANCH", "COMMIT", "LAST DEPLOY", "SERVICES", "MESSAGE"],
      ["AI-Infra-Team/nokube", "main", "0000000", "26h", "2", "<none>"],
      ["Codertocat/Hello-World", "master", "<none>", "<none>", "1", "<none>"],
      ["acme/idle", "main", "<none>", "<none>", "0", "<none>"],
    ]);
  });

  it("shows one repository by owner/name, or its entry with -o json", async () => {
    const run = await cli(["get", "repo", "Codertocat/Hello-World", "-o", "json", "--server", server.t.url]);
    expect(JSON.parse(run.stdout)).toMatchObject({ repo: "Codertocat/Hello-World", services: ["hello"] });
    const unknown = await cli(["get", "repos", "nope/nope", "--server", server.t.url]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown repository "nope/nope" (known: AI-Infra-Team/nokube');
  });
});

describe("get with a read token", () => {
  it("sends GITOPS_READ_TOKEN, and names the variable when the controller wants it", async () => {
    const guarded = await startTestServer({ readAuthToken: new Secret("read-xyz") });
    try {
      const refused = await cli(["get", "repos", "--server", guarded.url]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain("Set GITOPS_READ_TOKEN (or pass --read-token)");
      expect(refused.stderr).toContain("{.data.GITOPS_READ_TOKEN}");
      const fromEnv = await cli(["get", "repos", "--server", guarded.url], {
        env: { GITOPS_READ_TOKEN: "read-xyz" },
      });
      const fromFlag = await cli(["get", "repos", "--server", guarded.url, "--read-token", "read-xyz"]);
      expect([fromEnv.code, fromFlag.code]).toEqual([0, 0]);
    } finally {
      await guarded.server.close();
    }
  });
});

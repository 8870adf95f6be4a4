import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ObjectDiff, ServerDiff } from "../../../applyers/server-diff.js";
import type { KubeObject } from "../../../kube/objects.js";
import type { GitRepo } from "../../../test/github-server/git-repo.js";
import { createGitHubWorld, type GitHubWorld } from "../../../test/github-server/harness.js";
import { parseConfig } from "../../config/load.js";
import { createGitHubSource } from "../../source/github.js";
import { DIFF_EXIT, runDiff } from "./run-diff.js";

// A real GitHub test server and source; the cluster side is a fake ServerDiff that answers from a table, because
// what it would answer is proven against a real apiserver in test/e2e/diff.e2e.test.ts.
let world: GitHubWorld;
let repo: GitRepo;

beforeAll(async () => {
  world = await createGitHubWorld();
  repo = await world.addRepo("org", "gitops");
  await repo.commit({
    "apps/web/deploy.yaml": [
      "apiVersion: apps/v1",
      "kind: Deployment",
      "metadata: { name: web }",
      "spec:",
      "  replicas: 1",
      "  selector: { matchLabels: { app: web } }",
      "  template:",
      "    metadata: { labels: { app: web } }",
      "    spec: { containers: [{ name: web, image: nginx, command: [nginx] }] }",
    ].join("\n"),
    "apps/web/settings.json": JSON.stringify({ greeting: "hello" }),
    "apps/api/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: api }\ndata: { a: '1' }\n",
    "apps/broken/bad.yaml": "kind: [",
  });
});
afterAll(async () => {
  await world.close();
});

const config = () =>
  parseConfig(`
github_configs:
  gitops: { repo_owner: org, repo_name: gitops, api_url: "${world.server.url}" }
services:
  - { name: web, github: gitops, k8s_yaml_dir: apps/web, namespace: shop, stateless: true }
  - { name: api, github: gitops, k8s_yaml_dir: apps/api, stateless: false }
  - { name: broken, github: gitops, k8s_yaml_dir: apps/broken }
  - { name: gone, github: gitops, k8s_yaml_dir: apps/gone }
download_base_url: http://releases.example.com
`);

/** fakeServerDiff records what it is asked to compare and answers `answer(object)` for each object. */
function fakeServerDiff(answer: (object: KubeObject) => Omit<ObjectDiff, "apiVersion" | "kind" | "name">) {
  const seen: KubeObject[][] = [];
  const serverDiff: ServerDiff = {
    async diff(objects) {
      seen.push([...objects]);
      return objects.map((object) => ({
        apiVersion: object.apiVersion,
        kind: object.kind,
        name: object.metadata.name,
        ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
        ...answer(object),
      }));
    },
  };
  return { serverDiff, seen };
}

async function run(names: string[], serverDiff: ServerDiff) {
  const out = { stdout: "", stderr: "" };
  const code = await runDiff(names, {
    config: config(),
    source: createGitHubSource({ log: pino({ enabled: false }) }),
    serverDiff,
    stdout: (text) => {
      out.stdout += text;
    },
    stderr: (text) => {
      out.stderr += text;
    },
    log: pino({ enabled: false }),
  });
  return { code, ...out };
}

const unchanged = (object: KubeObject) => ({ action: "unchanged" as const, live: object, merged: object });

describe("runDiff", () => {
  it("compares the set a sync would apply and exits 0 with nothing on stdout when all is in sync", async () => {
    const { serverDiff, seen } = fakeServerDiff(unchanged);
    const result = await run(["web"], serverDiff);
    expect(result).toMatchObject({ code: DIFF_EXIT.inSync, stdout: "" });
    const objects = seen[0] ?? [];
    expect(objects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      "ConfigMap/shop/web-config",
      "Deployment/shop/web",
    ]);
    // Rendered as a sync renders: labelled, and with the stateless bootstrap from download_base_url.
    expect(objects[1]?.metadata.labels?.["app.kubernetes.io/managed-by"]).toBe("simple-gitops");
    expect(JSON.stringify(objects[1])).toContain("http://releases.example.com");
    expect(result.stderr).toMatch(
      /^web \(org\/gitops@main [0-9a-f]{12}\): 0 configured, 0 created, 2 unchanged, 0 failed\n$/,
    );
  });

  it("prints a diff of what differs and exits 1", async () => {
    const { serverDiff } = fakeServerDiff((object) =>
      object.kind === "ConfigMap"
        ? { action: "configured", live: { ...object, data: { a: "2" } }, merged: object }
        : unchanged(object),
    );
    const result = await run(["api"], serverDiff);
    expect(result.code).toBe(DIFF_EXIT.differs);
    expect(result.stdout.split("\n").filter((line) => /^[-+] /.test(line))).toEqual([
      "-  a: '2'",
      "+  a: '1'",
    ]);
    expect(result.stdout).toContain("--- live/v1/ConfigMap/default/api\n+++ git/v1/ConfigMap/default/api\n");
    expect(result.stderr).toContain("1 configured, 0 created, 0 unchanged, 0 failed");
  });

  it.each([
    ["an object that would be created", { action: "created" as const }, "0 configured, 1 created"],
    ["an object that cannot be compared", { action: "failed" as const, message: "no such kind" }, "1 failed"],
  ])("exits 1 for %s", async (_name, answer, summary) => {
    const { serverDiff } = fakeServerDiff((object) => ({ ...answer, merged: object }));
    const result = await run(["api"], serverDiff);
    expect(result.code).toBe(DIFF_EXIT.differs);
    expect(result.stderr).toContain(summary);
  });

  it.each([
    ["a set that does not parse", "broken", "# service broken: apps/broken/bad.yaml: "],
    ["a directory that is missing", "gone", "# service gone: "],
  ])("exits 1 for %s, comparing nothing", async (_name, service, message) => {
    const { serverDiff, seen } = fakeServerDiff(unchanged);
    const result = await run([service], serverDiff);
    expect(result.code).toBe(DIFF_EXIT.differs);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toMatch(
      new RegExp(`^${service} \\(org/gitops@main( [0-9a-f]{12})?\\): could not be compared$`, "m"),
    );
    expect(seen).toEqual([]);
  });

  it("exits 1 when the cluster cannot be reached, naming why", async () => {
    const serverDiff: ServerDiff = {
      diff: async () => {
        throw new Error("no usable kubeconfig");
      },
    };
    const result = await run(["api"], serverDiff);
    expect(result.code).toBe(DIFF_EXIT.differs);
    expect(result.stderr).toContain("# service api: no usable kubeconfig");
  });

  it("compares every service when none is named, and exits 1 if any differs", async () => {
    const { serverDiff, seen } = fakeServerDiff(unchanged);
    const result = await run([], serverDiff);
    expect(seen.length).toBe(2);
    expect(result.code).toBe(DIFF_EXIT.differs);
    for (const service of ["web", "api", "broken", "gone"]) expect(result.stderr).toContain(`${service} (`);
  });

  it("exits 2 on an unknown service, naming the known ones, before reading anything", async () => {
    world.server.resetRequests();
    const { serverDiff, seen } = fakeServerDiff(unchanged);
    const result = await run(["web", "nope"], serverDiff);
    expect(result).toEqual({
      code: DIFF_EXIT.badConfig,
      stdout: "",
      stderr: 'simple-gitops: unknown --service "nope" (known: web, api, broken, gone)\n',
    });
    expect(seen).toEqual([]);
    expect(world.server.counts().total).toBe(0);
  });
});

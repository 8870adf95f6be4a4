import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { GitRepo } from "../../test/github-server/git-repo.js";
import {
  captureLogger,
  createGitHubWorld,
  type GitHubWorld,
  manifest,
  recordApplied,
  serviceFiles,
} from "../../test/github-server/harness.js";
import { createGitHubSource, type GitHubSourceOptions } from "./github.js";
import type { KnownState, PollResult, ServiceFailure, ServiceFiles, SourceService } from "./source.js";

const TOKEN = "ghp_changestesttoken00000000000000000000";
const FAST = { retries: 2, rateLimitRetries: 2, maxRetryAfterSeconds: 60, baseMs: 1 };

function service(result: PollResult, name: string): ServiceFiles | ServiceFailure {
  if (result.status !== "changed") throw new Error(`expected a change, got ${result.status}`);
  const found = result.services.find((candidate) => candidate.service === name);
  if (found === undefined) throw new Error(`no service ${name}`);
  return found;
}

function ok(result: PollResult, name: string): ServiceFiles {
  const found = service(result, name);
  if (!found.ok) throw new Error(`service ${name} failed: ${found.error.message}`);
  return found;
}

describe("GitHub source changes", () => {
  let world: GitHubWorld;
  let repo: GitRepo;
  let known: Record<string, KnownState>;
  let services: SourceService[];

  beforeEach(async () => {
    world = await createGitHubWorld();
    repo = await world.addRepo("acme", "deploy", TOKEN);
    known = {};
    services = [
      { name: "etcd", dir: "examples/etcd" },
      { name: "web", dir: "./apps/web/" },
    ];
    await repo.commit({ ...serviceFiles("etcd", "examples/etcd", 3), ...serviceFiles("web", "apps/web", 2) });
  });
  afterEach(() => world.close());

  const sourceWith = (options: GitHubSourceOptions = {}) =>
    createGitHubSource({ log: captureLogger().log, retry: FAST, ...options });
  const poll = (source: ReturnType<typeof createGitHubSource>) =>
    source.poll({
      repository: { owner: "acme", repo: "deploy", branch: "main", apiUrl: world.server.url, token: TOKEN },
      services,
      known,
    });

  it("reports a rename as a deletion of the old path and the new path as changed, without re-reading the blob", async () => {
    const source = sourceWith();
    recordApplied(await poll(source), known);
    await repo.rename("examples/etcd/00.yaml", "examples/etcd/10-renamed.yaml");
    await repo.commit({ "examples/etcd/02.yaml": null });
    world.server.resetRequests();

    const result = await poll(source);

    const etcd = ok(result, "etcd");
    expect(etcd.deleted).toEqual(["examples/etcd/00.yaml", "examples/etcd/02.yaml"]);
    expect(etcd.changed).toBe(true);
    expect(etcd.files.map((file) => [file.path, file.changed, file.content])).toEqual([
      ["examples/etcd/01.yaml", false, manifest("etcd", 1)],
      ["examples/etcd/10-renamed.yaml", true, manifest("etcd", 0)],
    ]);
    const web = ok(result, "web");
    expect(web).toMatchObject({ changed: false, deleted: [] });
    // an unchanged service still comes whole, with every file's text
    expect(web.files.map((file) => [file.path, file.changed, file.content])).toEqual([
      ["apps/web/00.yaml", false, manifest("web", 0)],
      ["apps/web/01.yaml", false, manifest("web", 1)],
    ]);
    // head + tree; the renamed blob is the same SHA, already cached
    expect(world.server.counts()).toEqual({ total: 2, notModified: 0, charged: 2 });
  });

  it("takes a rewound branch's head as the desired state", async () => {
    const source = sourceWith();
    const before = await repo.head();
    recordApplied(await poll(source), known);
    await repo.commit({
      "examples/etcd/01.yaml": manifest("etcd", 1, 2),
      "examples/etcd/03.yaml": manifest("etcd", 3),
    });
    recordApplied(await poll(source), known);

    await repo.resetTo(before);
    const rewound = await poll(source);

    expect(rewound).toMatchObject({ status: "changed", commit: before });
    const etcd = ok(rewound, "etcd");
    expect(etcd.deleted).toEqual(["examples/etcd/03.yaml"]);
    expect(etcd.files.map((file) => [file.path, file.changed, file.content])).toEqual([
      ["examples/etcd/00.yaml", false, manifest("etcd", 0)],
      ["examples/etcd/01.yaml", true, manifest("etcd", 1)],
      ["examples/etcd/02.yaml", false, manifest("etcd", 2)],
    ]);
  });

  it("takes a force-pushed head as the desired state, whatever was applied before", async () => {
    const source = sourceWith();
    const base = await repo.head();
    await repo.commit({ "apps/web/01.yaml": manifest("web", 1, 5) });
    recordApplied(await poll(source), known);

    await repo.resetTo(base);
    const forced = await repo.commit({ "apps/web/02.yaml": manifest("web", 2, 7) }, "rewritten history");
    const result = await poll(source);

    expect(result).toMatchObject({ status: "changed", commit: forced });
    const web = ok(result, "web");
    expect(web.files.map((file) => [file.path, file.changed, file.content])).toEqual([
      ["apps/web/00.yaml", false, manifest("web", 0)],
      ["apps/web/01.yaml", true, manifest("web", 1)],
      ["apps/web/02.yaml", true, manifest("web", 2, 7)],
    ]);
    expect(ok(result, "etcd").changed).toBe(false);
  });

  it("fails only the service whose directory is missing or empty, never reporting its files as deleted", async () => {
    const source = sourceWith();
    recordApplied(await poll(source), known);
    services = [...services, { name: "ghost", dir: "examples/ghost" }, { name: "docs", dir: "docs" }];
    known.ghost = { commit: await repo.head(), files: { "examples/ghost/a.yaml": "0".repeat(40) } };
    await repo.commit({ "docs/README.md": "no manifests here\n" });
    await repo.commit({
      "examples/etcd/00.yaml": null,
      "examples/etcd/01.yaml": null,
      "examples/etcd/02.yaml": null,
    });

    const result = await poll(source);

    expect(service(result, "ghost")).toMatchObject({ ok: false, error: { code: "E_SOURCE_DIR_MISSING" } });
    expect(service(result, "docs")).toMatchObject({ ok: false, error: { code: "E_SOURCE_DIR_EMPTY" } });
    // every file of etcd deleted: git drops the directory, and that is an error, not "delete everything"
    const etcd = service(result, "etcd");
    expect(etcd).toMatchObject({ ok: false, error: { code: "E_SOURCE_DIR_MISSING", services: ["etcd"] } });
    expect(!etcd.ok && etcd.error.message).toMatch(/service etcd: directory "examples\/etcd" does not exist/);
    expect(ok(result, "web").files).toHaveLength(2);
  });

  it("walks per-directory trees along the service directories when the recursive tree is truncated", async () => {
    const reference = await poll(sourceWith());
    await repo.commit(serviceFiles("noise", "vendor/noise", 30));
    const head = await repo.head();
    world.server.setTreeLimit(10);
    world.server.resetRequests();

    const result = await poll(sourceWith());

    const trees = world.server.requests
      .filter((record) => record.path.includes("/git/trees/"))
      .map((r) => r.path);
    // truncated root (recursive), then root, examples, apps (plain), then etcd and web (recursive, small enough)
    expect(trees).toHaveLength(6);
    expect(trees.filter((path) => path.endsWith("?recursive=1"))).toHaveLength(3);
    expect(result).toMatchObject({ status: "changed", commit: head });
    for (const name of ["etcd", "web"]) expect(ok(result, name).files).toEqual(ok(reference, name).files);
  });

  it("walks further down when even a service directory's recursive tree is truncated", async () => {
    await repo.commit({ "apps/web/nested/deep/10.yaml": manifest("web", 10) });
    world.server.setTreeLimit(1);

    const result = await poll(sourceWith());

    expect(ok(result, "web").files.map((file) => file.path)).toEqual([
      "apps/web/00.yaml",
      "apps/web/01.yaml",
      "apps/web/nested/deep/10.yaml",
    ]);
    expect(ok(result, "etcd").files).toHaveLength(3);
  });

  it("reads only .yaml/.yml/.json files, whatever the extension's case, each whole with its text", async () => {
    const added = {
      "apps/web/notes.txt": "ignored\n",
      "apps/web/Chart.YAML": "kind: ConfigMap\n",
      "apps/web/values.json": '{"kind":"ConfigMap"}\n',
      "apps/web/extra.yml": manifest("web", 9),
    };
    await repo.commit(added);
    const txt = await repo.blobSha("apps/web/notes.txt");

    const result = await poll(sourceWith());

    const web = ok(result, "web");
    expect(web.files.map((file) => [file.path, file.changed, file.content])).toEqual([
      ["apps/web/00.yaml", true, manifest("web", 0)],
      ["apps/web/01.yaml", true, manifest("web", 1)],
      ["apps/web/Chart.YAML", true, added["apps/web/Chart.YAML"]],
      ["apps/web/extra.yml", true, added["apps/web/extra.yml"]],
      ["apps/web/values.json", true, added["apps/web/values.json"]],
    ]);
    for (const file of web.files) {
      expect(file.sha).toBe(await repo.blobSha(file.path));
      expect(file.size).toBe(Buffer.byteLength(file.content));
    }
    expect(world.server.requests.some((record) => record.path.endsWith(txt))).toBe(false);
  });

  it("reads GitHub Enterprise through an /api/v3 API root", async () => {
    const result = await createGitHubSource({ log: captureLogger().log, retry: FAST }).poll({
      repository: {
        owner: "acme",
        repo: "deploy",
        branch: "main",
        apiUrl: `${world.server.url}/api/v3/`,
        token: TOKEN,
      },
      services,
      known,
    });

    expect(ok(result, "etcd").files).toHaveLength(3);
    expect(world.server.requests.length).toBeGreaterThan(0);
    expect(world.server.requests.every((record) => record.enterprise)).toBe(true);
  });
});

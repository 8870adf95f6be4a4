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

const TOKEN = "ghp_filestesttoken0000000000000000000000";
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

function failure(result: PollResult, name: string): ServiceFailure {
  const found = service(result, name);
  if (found.ok) throw new Error(`service ${name} did not fail`);
  return found;
}

/**
 * configMapList is a YAML `ConfigMapList` of at least `bytes` bytes, like a list of dashboards: distinct items, each
 * with a JSON document, and multi-byte UTF-8 characters so decoding is checked across base64 line breaks.
 */
function configMapList(bytes: number): string {
  const parts = ["apiVersion: v1\nkind: ConfigMapList\nitems:\n"];
  let size = Buffer.byteLength(parts[0] as string);
  for (let index = 0; size < bytes; index++) {
    const panels = Array.from(
      { length: 8 },
      (_, panel) => `{"id":${panel},"title":"Panel ${index}.${panel} — é ☕"}`,
    );
    const item =
      `  - apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: dashboard-${index}\n` +
      `    data:\n      dashboard.json: '{"uid":"d${index}","panels":[${panels.join(",")}]}'\n`;
    parts.push(item);
    size += Buffer.byteLength(item);
  }
  return parts.join("");
}

describe("GitHub source files", () => {
  let world: GitHubWorld;
  let repo: GitRepo;
  let known: Record<string, KnownState>;
  const services: SourceService[] = [
    { name: "etcd", dir: "examples/etcd" },
    { name: "web", dir: "apps/web" },
  ];

  beforeEach(async () => {
    world = await createGitHubWorld();
    repo = await world.addRepo("acme", "deploy", TOKEN);
    known = {};
    await repo.commit({ ...serviceFiles("etcd", "examples/etcd", 2), ...serviceFiles("web", "apps/web", 2) });
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
  const blobRequests = () =>
    world.server.requests
      .filter((record) => record.path.includes("/git/blobs/"))
      .map((record) => record.path);
  const blobPath = (sha: string) => `/repos/acme/deploy/git/blobs/${sha}`;

  it("reads a multi-megabyte manifest whole through the blobs API, with the default limit", async () => {
    const big = configMapList(3 * 1024 * 1024);
    await repo.commit({ "apps/web/dashboards.yaml": big });
    const sha = await repo.blobSha("apps/web/dashboards.yaml");
    const source = sourceWith();

    const result = await poll(source);

    const dashboards = ok(result, "web").files.find((file) => file.path === "apps/web/dashboards.yaml");
    expect(dashboards?.size).toBe(Buffer.byteLength(big));
    expect(dashboards?.size).toBeGreaterThan(3 * 1024 * 1024);
    expect(dashboards?.sha).toBe(sha);
    expect(dashboards?.changed).toBe(true);
    // exact text, compared without printing megabytes on failure
    expect(dashboards?.content.length).toBe(big.length);
    expect(dashboards?.content === big).toBe(true);
    expect(blobRequests().filter((path) => path === blobPath(sha))).toHaveLength(1);
    expect(world.server.requests.find((record) => record.path === blobPath(sha))?.status).toBe(200);
    recordApplied(result, known);
    world.server.resetRequests();

    // an unrelated change: the big file comes back whole from the blob cache, without being read again
    await repo.commit({ "examples/etcd/00.yaml": manifest("etcd", 0, 2) });
    const next = await poll(source);

    const again = ok(next, "web").files.find((file) => file.path === "apps/web/dashboards.yaml");
    expect(again?.changed).toBe(false);
    expect(again?.content === big).toBe(true);
    expect(blobRequests()).toEqual([blobPath(await repo.blobSha("examples/etcd/00.yaml"))]);
  }, 30_000);

  it("fails only the service holding a file over the limit, naming it, without reading that service's blobs", async () => {
    const capture = captureLogger();
    const source = sourceWith({ log: capture.log, maxFileBytes: 1000 });
    recordApplied(await poll(source), known);
    const webBefore = known.web;
    const huge = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: huge\ndata:\n  x: "${"x".repeat(1500)}"\n`;
    const edgeHead = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: edge\ndata:\n  x: "';
    const edge = `${edgeHead}${"y".repeat(1000 - Buffer.byteLength(edgeHead) - 2)}"\n`;
    expect(Buffer.byteLength(edge)).toBe(1000);
    await repo.commit({ "apps/web/01.yaml": huge, "examples/etcd/edge.yaml": edge });
    const hugeSha = await repo.blobSha("apps/web/01.yaml");
    world.server.resetRequests();

    const result = await poll(source);

    const web = failure(result, "web");
    expect(web).toMatchObject({
      service: "web",
      dir: "apps/web",
      error: { code: "E_SOURCE_FILE_UNUSABLE", services: ["web"], repository: "acme/deploy@main" },
    });
    expect(web.error.message).toContain(
      `apps/web/01.yaml is ${Buffer.byteLength(huge)} bytes, over the 1000-byte limit`,
    );
    expect(web.error.message).not.toContain("apps/web/00.yaml");
    // a file of exactly the limit is read, and the other service is whole
    const etcd = ok(result, "etcd");
    expect(etcd.files.map((file) => [file.path, file.changed, file.content])).toEqual([
      ["examples/etcd/00.yaml", false, manifest("etcd", 0)],
      ["examples/etcd/01.yaml", false, manifest("etcd", 1)],
      ["examples/etcd/edge.yaml", true, edge],
    ]);
    // only etcd's new blob is read: nothing of the failed service, above all not the huge blob
    expect(blobRequests()).toEqual([blobPath(await repo.blobSha("examples/etcd/edge.yaml"))]);
    expect(world.server.requests.some((record) => record.path.endsWith(hugeSha))).toBe(false);
    expect(capture.lines.filter((line) => line.level === "warn").map((line) => line.message)).toContain(
      web.error.message,
    );

    // the failed service keeps its known state, so the fix is reported as its change
    recordApplied(result, known);
    expect(known.web).toEqual(webBefore);
    const fixed = await repo.commit({ "apps/web/01.yaml": manifest("web", 1, 3) });
    const recovered = await poll(source);
    expect(recovered).toMatchObject({ status: "changed", commit: fixed });
    expect(ok(recovered, "web").files.map((file) => [file.path, file.changed, file.content])).toEqual([
      ["apps/web/00.yaml", false, manifest("web", 0)],
      ["apps/web/01.yaml", true, manifest("web", 1, 3)],
    ]);
  });

  it("fails the service holding a binary file, naming every such file, and not the other service", async () => {
    const nul = Buffer.from("kind: ConfigMap\n\u0000\u0001binary\n");
    const latin1 = Buffer.from([0x6e, 0x61, 0x6d, 0x65, 0x3a, 0x20, 0xe9, 0x0a]);
    await repo.commit({ "apps/web/x.yaml": nul, "apps/web/latin1.yml": latin1 });
    const source = sourceWith();

    const result = await poll(source);

    const web = failure(result, "web");
    expect(web).toMatchObject({
      service: "web",
      error: { code: "E_SOURCE_FILE_UNUSABLE", services: ["web"], repository: "acme/deploy@main" },
    });
    expect(web.error.message).toContain("apps/web/x.yaml is not UTF-8 text");
    expect(web.error.message).toContain("apps/web/latin1.yml is not UTF-8 text");
    expect(web.error.message).not.toContain("apps/web/00.yaml");
    expect(ok(result, "etcd").files.map((file) => [file.path, file.content])).toEqual([
      ["examples/etcd/00.yaml", manifest("etcd", 0)],
      ["examples/etcd/01.yaml", manifest("etcd", 1)],
    ]);
    recordApplied(result, known);
    expect(known.web).toBeUndefined();
    world.server.resetRequests();

    // reported again on the next poll, from the caches: the head answers 304 and no blob is read again
    const again = await poll(source);
    expect(world.server.counts()).toEqual({ total: 1, notModified: 1, charged: 0 });
    expect(failure(again, "web").error.message).toBe(web.error.message);
  });
});

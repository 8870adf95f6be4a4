import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { GitRepo } from "../../test/github-server/git-repo.js";
import {
  captureLogger,
  createGitHubWorld,
  type GitHubWorld,
  manifest,
  recordApplied,
  requestKind,
  serviceFiles,
} from "../../test/github-server/harness.js";
import { okService } from "../../test/source-support.js";
import { createGitHubSource } from "./github.js";
import type { KnownState, PollRequest, SourceService } from "./source.js";

const TOKEN = "ghp_countstesttoken000000000000000000000";
const FAST = { retries: 2, rateLimitRetries: 2, maxRetryAfterSeconds: 60, baseMs: 1 };

describe("GitHub source request counts", () => {
  let world: GitHubWorld;
  let repo: GitRepo;
  const services: SourceService[] = [
    { name: "etcd", dir: "examples/etcd" },
    { name: "monitoring", dir: "examples/monitoring" },
    { name: "web", dir: "apps/web" },
  ];

  beforeEach(async () => {
    world = await createGitHubWorld();
    repo = await world.addRepo("acme", "deploy", TOKEN);
    await repo.commit({
      ...serviceFiles("etcd", "examples/etcd", 3),
      ...serviceFiles("monitoring", "examples/monitoring", 3),
      ...serviceFiles("web", "apps/web", 3),
      "README.md": "not a manifest\n",
    });
  });
  afterEach(() => world.close());

  const request = (known: Record<string, KnownState>): PollRequest => ({
    repository: { owner: "acme", repo: "deploy", branch: "main", apiUrl: world.server.url, token: TOKEN },
    services,
    known,
  });

  it("spends exactly one uncharged request (304) on an idle poll, for any number of services", async () => {
    const source = createGitHubSource({ log: captureLogger().log, retry: FAST });
    const known: Record<string, KnownState> = {};
    const first = await source.poll(request(known));
    expect(world.server.counts()).toEqual({ total: 11, notModified: 0, charged: 11 }); // head + tree + 9 blobs
    recordApplied(first, known);
    world.server.resetRequests();

    const idle = await source.poll(request(known));

    expect(idle).toEqual({ status: "unchanged", changed: false, commit: await repo.head() });
    expect(world.server.counts()).toEqual({ total: 1, notModified: 1, charged: 0 });
  });

  it("spends 3 requests on one changed file (head, tree, one blob) and 4 on two", async () => {
    const source = createGitHubSource({ log: captureLogger().log, retry: FAST });
    const known: Record<string, KnownState> = {};
    recordApplied(await source.poll(request(known)), known);
    world.server.resetRequests();

    const commit = await repo.commit({ "examples/etcd/01.yaml": manifest("etcd", 1, 2) });
    const one = await source.poll(request(known));

    expect(world.server.counts()).toEqual({ total: 3, notModified: 0, charged: 3 });
    expect(one).toMatchObject({ status: "changed", commit });
    const etcd = okService(one, "etcd");
    expect(etcd.changed).toBe(true);
    expect(etcd.files.filter((file) => file.changed)).toEqual([
      {
        path: "examples/etcd/01.yaml",
        sha: await repo.blobSha("examples/etcd/01.yaml"),
        size: manifest("etcd", 1, 2).length,
        changed: true,
        content: manifest("etcd", 1, 2),
      },
    ]);
    // the whole set comes back, the unchanged files' text from the blob cache
    expect(etcd.files.map((file) => [file.path, file.content])).toEqual([
      ["examples/etcd/00.yaml", manifest("etcd", 0)],
      ["examples/etcd/01.yaml", manifest("etcd", 1, 2)],
      ["examples/etcd/02.yaml", manifest("etcd", 2)],
    ]);
    const web = okService(one, "web");
    expect(web.changed).toBe(false);
    expect(web.files.map((file) => [file.path, file.changed, file.content])).toEqual([
      ["apps/web/00.yaml", false, manifest("web", 0)],
      ["apps/web/01.yaml", false, manifest("web", 1)],
      ["apps/web/02.yaml", false, manifest("web", 2)],
    ]);
    recordApplied(one, known);
    world.server.resetRequests();

    await repo.commit({
      "apps/web/00.yaml": manifest("web", 0, 2),
      "apps/web/02.yaml": manifest("web", 2, 2),
    });
    await source.poll(request(known));
    expect(world.server.counts()).toEqual({ total: 4, notModified: 0, charged: 4 });
  });

  it("spends head + tree + one blob on a change to one file of 20, and still returns all 20 with their text", async () => {
    const files = serviceFiles("big", "k8s/big", 20);
    await repo.commit(files);
    const big = (known: Record<string, KnownState>): PollRequest => ({
      ...request(known),
      services: [{ name: "big", dir: "k8s/big" }],
    });
    const source = createGitHubSource({ log: captureLogger().log, retry: FAST });
    const known: Record<string, KnownState> = {};
    recordApplied(await source.poll(big(known)), known);
    const paths = Object.keys(files).sort();
    // head + tree + one tarball (its codeload download is not an API request) instead of one request per blob
    expect(world.server.requests.map((record) => requestKind(record.path))).toEqual([
      "branches",
      "git/trees",
      "tarball",
      "codeload",
    ]);
    expect(world.server.counts().charged).toBe(3);
    expect(Object.keys(known.big?.files ?? {})).toEqual(paths);
    world.server.resetRequests();

    const target = paths[7] as string;
    files[target] = manifest("big", 7, 2);
    const commit = await repo.commit({ [target]: files[target] });
    const changedSha = await repo.blobSha(target);
    const result = await source.poll(big(known));

    expect(world.server.counts()).toEqual({ total: 3, notModified: 0, charged: 3 });
    const kinds = world.server.requests.map((record) => requestKind(record.path));
    expect(kinds.sort()).toEqual(["branches", "git/blobs", "git/trees"]);
    expect(
      world.server.requests.filter((record) => record.path.includes("/git/blobs/")).map((r) => r.path),
    ).toEqual([`/repos/acme/deploy/git/blobs/${changedSha}`]);
    expect(result).toMatchObject({ status: "changed", commit });
    const service = okService(result, "big");
    expect(service.changed).toBe(true);
    expect(service.deleted).toEqual([]);
    expect(service.files.map((file) => file.path)).toEqual(paths);
    for (const file of service.files) {
      expect(file.content).toBe(files[file.path]);
      expect(file.sha).toBe(await repo.blobSha(file.path));
      expect(file.changed).toBe(file.path === target);
    }
    expect(service.files.filter((file) => file.changed)).toHaveLength(1);
  });

  it("spends 200 requests, all 304 and none charged, on 100 idle polls of 10 services × 20 files on 2 repos", async () => {
    const second = await world.addRepo("acme", "platform", TOKEN);
    const names = Array.from({ length: 10 }, (_, index) => `svc-${index}`);
    const layout = (prefix: string) =>
      Object.assign({}, ...names.map((name) => serviceFiles(`${prefix}-${name}`, `k8s/${name}`, 20)));
    await repo.commit(layout("deploy"));
    await second.commit(layout("platform"));
    const repoServices = names.map((name) => ({ name, dir: `k8s/${name}` }));
    const requests = ["deploy", "platform"].map((name) => {
      const known: Record<string, KnownState> = {};
      return {
        known,
        poll: (): PollRequest => ({
          repository: { owner: "acme", repo: name, branch: "main", apiUrl: world.server.url, token: TOKEN },
          services: repoServices,
          known,
        }),
      };
    });
    const source = createGitHubSource({ log: captureLogger().log, retry: FAST });
    for (const each of requests) recordApplied(await source.poll(each.poll()), each.known);
    // First poll: per repo one head, one tree and one tarball for its 200 distinct blobs.
    expect(world.server.counts()).toEqual({ total: 8, notModified: 0, charged: 6 });
    world.server.resetRequests();

    for (let round = 0; round < 100; round++) {
      for (const each of requests) expect((await source.poll(each.poll())).status).toBe("unchanged");
    }

    expect(world.server.counts()).toEqual({ total: 200, notModified: 200, charged: 0 });
  }, 60_000);

  it("re-reports the same change on the next poll when a blob fails past its retries", async () => {
    const source = createGitHubSource({ log: captureLogger().log, retry: FAST });
    const known: Record<string, KnownState> = {};
    recordApplied(await source.poll(request(known)), known);
    const commit = await repo.commit({ "examples/monitoring/02.yaml": manifest("monitoring", 2, 9) });
    const blob = await repo.blobSha("examples/monitoring/02.yaml");
    world.server.failNext(`/repos/acme/deploy/git/blobs/${blob}`, FAST.retries + 1, {
      kind: "status",
      status: 500,
    });
    world.server.resetRequests();

    const failed = await source.poll(request(known));
    recordApplied(failed, known);

    // head + tree + the blob tried 1 + 2 times
    expect(world.server.counts()).toEqual({ total: 5, notModified: 0, charged: 2 });
    if (failed.status !== "changed") throw new Error(failed.status);
    const monitoring = failed.services.find((service) => service.service === "monitoring");
    expect(monitoring).toMatchObject({ ok: false, error: { code: "E_SOURCE_UNAVAILABLE" } });
    expect(monitoring?.ok === false && monitoring.error.message).toContain("service monitoring");
    expect(known.monitoring?.commit).not.toBe(commit);
    world.server.resetRequests();

    const retried = await source.poll(request(known));

    // the head is unchanged (304) and its tree listing cached by SHA: only the blob is read again
    expect(world.server.counts()).toEqual({ total: 2, notModified: 1, charged: 1 });
    expect(retried).toMatchObject({ status: "changed", commit });
    const monitoringFiles = okService(retried, "monitoring").files;
    expect(monitoringFiles.filter((file) => file.changed)).toMatchObject([
      { path: "examples/monitoring/02.yaml", sha: blob, content: manifest("monitoring", 2, 9) },
    ]);
    expect(monitoringFiles).toHaveLength(3);
    recordApplied(retried, known);
    world.server.resetRequests();
    expect(await source.poll(request(known))).toMatchObject({ status: "unchanged", commit });
    expect(world.server.counts()).toEqual({ total: 1, notModified: 1, charged: 0 });
  });

  it("re-reports a head the caller never recorded, even when GitHub answers 304", async () => {
    const source = createGitHubSource({ log: captureLogger().log, retry: FAST });
    const first = await source.poll(request({}));
    world.server.resetRequests();

    // the caller's apply failed, so it recorded nothing and polls with the same empty known state
    const again = await source.poll(request({}));

    expect(again).toEqual(first);
    expect(world.server.counts()).toEqual({ total: 1, notModified: 1, charged: 0 });
  });

  it("spends one charged request after a restart when the caller already applied the head", async () => {
    const known: Record<string, KnownState> = {};
    recordApplied(
      await createGitHubSource({ log: captureLogger().log, retry: FAST }).poll(request(known)),
      known,
    );
    world.server.resetRequests();

    const restarted = createGitHubSource({ log: captureLogger().log, retry: FAST });
    expect(await restarted.poll(request(known))).toMatchObject({ status: "unchanged" });
    expect(world.server.counts()).toEqual({ total: 1, notModified: 0, charged: 1 });
  });
});

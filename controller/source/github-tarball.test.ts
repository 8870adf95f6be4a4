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
import type { InjectedFailure } from "../../test/github-server/server.js";
import { FAST_RETRY, okService } from "../../test/source-support.js";
import { createGitHubSource, type GitHubSourceOptions } from "./github.js";
import type { KnownState, PollRequest, PollResult, SourceService } from "./source.js";

const TOKEN = "ghp_tarballtesttoken00000000000000000000";
const TARBALL = /\/tarball\//;
const CODELOAD = /\/_codeload\//;

const filesOf = (result: PollResult, name: string) => okService(result, name).files;

describe("GitHub source first sync through one tarball", () => {
  let world: GitHubWorld;
  let repo: GitRepo;
  const request = (services: SourceService[], known: Record<string, KnownState>): PollRequest => ({
    repository: { owner: "acme", repo: "deploy", branch: "main", apiUrl: world.server.url, token: TOKEN },
    services,
    known,
  });
  const source = (options: GitHubSourceOptions = {}) =>
    createGitHubSource({ log: captureLogger().log, retry: FAST_RETRY, ...options });

  beforeEach(async () => {
    world = await createGitHubWorld();
    repo = await world.addRepo("acme", "deploy", TOKEN);
  });
  afterEach(() => world.close());

  it("reads 2 000 files with at most 5 requests, each file's text exactly what git holds", async () => {
    const files = { ...serviceFiles("big", "k8s/big", 2000), "docs/README.md": "not a manifest\n" };
    await repo.commit(files);
    const known: Record<string, KnownState> = {};

    const result = await source().poll(request([{ name: "big", dir: "k8s/big" }], known));

    const kinds = world.server.requests.map((record) => requestKind(record.path));
    expect(kinds).toEqual(["branches", "git/trees", "tarball", "codeload"]);
    expect(world.server.requests.length).toBeLessThanOrEqual(5);
    const read = filesOf(result, "big");
    expect(read).toHaveLength(2000);
    const sample = [read[0], read[999], read[1999]].map((file) => file?.path as string);
    for (const file of read) expect(file.content).toBe(files[file.path as keyof typeof files]);
    for (const path of sample)
      expect(read.find((file) => file.path === path)?.sha).toBe(await repo.blobSha(path));
  }, 60_000);

  it("fills the blob cache: a later change costs head, tree and its one blob", async () => {
    const files = serviceFiles("big", "k8s/big", 40);
    await repo.commit(files);
    const github = source();
    const known: Record<string, KnownState> = {};
    recordApplied(await github.poll(request([{ name: "big", dir: "k8s/big" }], known)), known);
    world.server.resetRequests();

    await repo.commit({ "k8s/big/03.yaml": manifest("big", 3, 2) });
    const result = await github.poll(request([{ name: "big", dir: "k8s/big" }], known));

    expect(world.server.requests.map((record) => requestKind(record.path)).sort()).toEqual([
      "branches",
      "git/blobs",
      "git/trees",
    ]);
    expect(
      filesOf(result, "big")
        .filter((file) => file.changed)
        .map((file) => file.path),
    ).toEqual(["k8s/big/03.yaml"]);
  });

  it("reads a few missing files as blobs, below the tarball threshold", async () => {
    await repo.commit(serviceFiles("small", "k8s/small", 5));
    const result = await source({ tarballMinBlobs: 5 }).poll(
      request([{ name: "small", dir: "k8s/small" }], {}),
    );

    expect(filesOf(result, "small")).toHaveLength(5);
    expect(world.server.requests.filter((record) => TARBALL.test(record.path))).toEqual([]);
    expect(world.server.requests.filter((record) => requestKind(record.path) === "git/blobs")).toHaveLength(
      5,
    );
  });

  it("reads as a blob a file the archive holds changed (export-subst), never trusting bytes git did not store", async () => {
    const files = serviceFiles("big", "k8s/big", 20);
    files["k8s/big/subst.yaml"] = "kind: ConfigMap\nmetadata:\n  name: subst\ndata:\n  commit: $Format:%H$\n";
    files[".gitattributes"] = "k8s/big/subst.yaml export-subst\n";
    await repo.commit(files);

    const result = await source().poll(request([{ name: "big", dir: "k8s/big" }], {}));

    const subst = filesOf(result, "big").find((file) => file.path === "k8s/big/subst.yaml");
    expect(subst?.content).toBe(files["k8s/big/subst.yaml"]);
    const blobReads = world.server.requests.filter((record) => requestKind(record.path) === "git/blobs");
    expect(blobReads.map((record) => record.path)).toEqual([
      `/repos/acme/deploy/git/blobs/${await repo.blobSha("k8s/big/subst.yaml")}`,
    ]);
  });

  const broken: [string, InjectedFailure, RegExp, string][] = [
    ["cut short (reset mid-body)", { kind: "reset" }, CODELOAD, "E_SOURCE_UNAVAILABLE"],
    ["not a gzip'd tar", { kind: "garbage" }, CODELOAD, "E_SOURCE_PROTOCOL"],
    ["answered 502 after retries", { kind: "status", status: 502 }, TARBALL, "E_SOURCE_UNAVAILABLE"],
  ];
  it.each(
    broken,
  )("fails the services that needed a tarball %s, keeps their known state, and retries on the next poll", async (_name, failure, match, code) => {
    await repo.commit({ ...serviceFiles("big", "k8s/big", 30), ...serviceFiles("other", "k8s/other", 2) });
    const github = source({ tarballMinBlobs: 10 });
    const services = [
      { name: "big", dir: "k8s/big" },
      { name: "other", dir: "k8s/other" },
    ];
    const known: Record<string, KnownState> = {};
    world.server.failNext(match, 3, failure);

    const failed = await github.poll(request(services, known));

    if (failed.status !== "changed") throw new Error(`expected a change, got ${failed.status}`);
    const big = failed.services.find((service) => service.service === "big");
    expect(big?.ok).toBe(false);
    if (big?.ok !== false) return;
    expect(big.error.code).toBe(code);
    expect(big.error.message).toMatch(/tarball/);
    expect(big.error.services).toEqual(["big", "other"]);
    expect(world.server.requests.filter((record) => requestKind(record.path) === "git/blobs")).toEqual([]);
    recordApplied(failed, known);
    expect(known.big).toBeUndefined();

    world.server.clearFailures();
    const retried = await github.poll(request(services, known));
    expect(filesOf(retried, "big")).toHaveLength(30);
    expect(filesOf(retried, "other")).toHaveLength(2);
  });

  it("fails the poll's services when the tarball unpacks to more than the limit, without keeping it", async () => {
    const files = serviceFiles("big", "k8s/big", 30);
    await repo.commit(files);
    const repoBytes = Object.values(files).reduce((sum, text) => sum + Buffer.byteLength(text), 0);
    // The limit admits the tree's own sizes, but not the archive's headers around them.
    const result = await source({ maxTarballBytes: repoBytes + 1024 }).poll(
      request([{ name: "big", dir: "k8s/big" }], {}),
    );

    if (result.status !== "changed") throw new Error(`expected a change, got ${result.status}`);
    const [big] = result.services;
    expect(big?.ok).toBe(false);
    if (big?.ok !== false) return;
    expect(big.error.code).toBe("E_SOURCE_PROTOCOL");
    expect(big.error.message).toContain(`more than ${repoBytes + 1024} bytes`);
  });

  it("uses blobs, not a tarball, for a repository whose files add up to more than the tarball limit", async () => {
    await repo.commit(serviceFiles("big", "k8s/big", 20));
    const result = await source({ maxTarballBytes: 100 }).poll(
      request([{ name: "big", dir: "k8s/big" }], {}),
    );

    expect(filesOf(result, "big")).toHaveLength(20);
    expect(world.server.requests.filter((record) => TARBALL.test(record.path))).toEqual([]);
  });
});

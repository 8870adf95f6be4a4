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
import { rejection } from "../../test/kustomize-support.js";
import { FAST_RETRY, okService } from "../../test/source-support.js";
import type { DesiredSetError } from "../desired/errors.js";
import { DEFAULT_KUSTOMIZE_OPTIONS, kustomizeBuild } from "../desired/kustomize/build.js";
import { createGitHubSource, type GitHubSourceOptions } from "./github.js";
import type { KnownState, PollRequest, SourceService } from "./source.js";

const TOKEN = "ghp_kustomizetesttoken00000000000000000";

const REMOTE = "https://github.com/example/shared//base?ref=v1";
const overlay = (env: string, remote = false) =>
  [
    "resources:",
    "  - ../../base",
    ...(remote ? [`  - ${REMOTE}`] : []),
    "patches:",
    "  - path: patch.yaml",
    "configMapGenerator:",
    "  - name: settings",
    "    files:",
    "      - app.properties",
    `namePrefix: ${env}-`,
    "",
  ].join("\n");

/** LAYOUT is a base, two overlays of it and a flat service; `overlays/dev/unused.yaml` is named by nothing. */
const LAYOUT: Record<string, string> = {
  "base/kustomization.yaml": "resources:\n  - deploy.yaml\n  - service.yaml\n",
  "base/deploy.yaml": manifest("base", 1),
  "base/service.yaml": manifest("base", 2),
  "overlays/dev/kustomization.yaml": overlay("dev", true),
  "overlays/dev/patch.yaml": manifest("base", 1, 7),
  "overlays/dev/app.properties": "level=debug\n",
  "overlays/dev/unused.yaml": manifest("unused", 1),
  "overlays/prod/Kustomization": overlay("prod"),
  "overlays/prod/patch.yaml": manifest("base", 1, 8),
  "overlays/prod/app.properties": "level=warn\n",
  "docs/notes.yaml": manifest("docs", 1),
  ...serviceFiles("web", "apps/web", 2),
};

/** CLOSURES are the files each overlay's build reads, the base's included. */
const CLOSURES = {
  dev: ["base/deploy.yaml", "base/kustomization.yaml", "base/service.yaml"].concat(
    ["app.properties", "kustomization.yaml", "patch.yaml"].map((name) => `overlays/dev/${name}`),
  ),
  prod: ["base/deploy.yaml", "base/kustomization.yaml", "base/service.yaml"].concat(
    ["Kustomization", "app.properties", "patch.yaml"].map((name) => `overlays/prod/${name}`),
  ),
};

const SERVICES: SourceService[] = [
  { name: "dev", dir: "overlays/dev" },
  { name: "prod", dir: "overlays/prod" },
  { name: "web", dir: "apps/web" },
];

describe("GitHub source: a kustomize service's files are its build's closure", () => {
  let world: GitHubWorld;
  let repo: GitRepo;
  const request = (known: Record<string, KnownState>, services = SERVICES): PollRequest => ({
    repository: { owner: "acme", repo: "deploy", branch: "main", apiUrl: world.server.url, token: TOKEN },
    services,
    known,
  });
  const source = (options: GitHubSourceOptions = {}) =>
    createGitHubSource({ log: captureLogger().log, retry: FAST_RETRY, ...options });
  const kinds = () => world.server.requests.map((record) => requestKind(record.path)).sort();

  beforeEach(async () => {
    world = await createGitHubWorld();
    repo = await world.addRepo("acme", "deploy", TOKEN);
    await repo.commit(LAYOUT);
  });
  afterEach(() => world.close());

  it("returns base files with each overlay, with git's text and SHAs, and one blob per distinct file", async () => {
    const result = await source().poll(request({}));

    for (const name of ["dev", "prod"] as const) {
      const files = okService(result, name).files;
      expect(files.map((file) => file.path)).toEqual(CLOSURES[name]);
      for (const file of files) {
        expect(file.content).toBe(LAYOUT[file.path]);
        expect(file.sha).toBe(await repo.blobSha(file.path));
      }
    }
    expect(okService(result, "web").files.map((file) => file.path)).toEqual([
      "apps/web/00.yaml",
      "apps/web/01.yaml",
    ]);
    // Each kustomization is read once, whichever overlay needs it first, and nothing the builds do not read.
    const read = new Set(
      ["dev", "prod", "web"].flatMap((name) => okService(result, name).files.map((file) => file.sha)),
    );
    expect(kinds()).toEqual(["branches", "git/trees", ...Array(read.size).fill("git/blobs")].sort());
  });

  it("reads the kustomizations and their bases from the one tarball of a first sync", async () => {
    const result = await source({ tarballMinBlobs: 4 }).poll(request({}));

    expect(world.server.requests.map((record) => requestKind(record.path))).toEqual([
      "branches",
      "git/trees",
      "tarball",
      "codeload",
    ]);
    for (const name of ["dev", "prod"] as const)
      expect(okService(result, name).files.map((file) => file.path)).toEqual(CLOSURES[name]);
  });

  it("marks both overlays changed by a base change, for head, tree and the changed blob", async () => {
    const github = source();
    const known: Record<string, KnownState> = {};
    recordApplied(await github.poll(request(known)), known);
    world.server.resetRequests();

    await repo.commit({ "base/deploy.yaml": manifest("base", 1, 2) });
    const result = await github.poll(request(known));

    expect(kinds()).toEqual(["branches", "git/blobs", "git/trees"]);
    for (const name of ["dev", "prod"]) {
      const overlayFiles = okService(result, name);
      expect(overlayFiles.changed).toBe(true);
      expect(overlayFiles.files.filter((file) => file.changed).map((file) => file.path)).toEqual([
        "base/deploy.yaml",
      ]);
    }
    expect(okService(result, "web").changed).toBe(false);
  });

  it("leaves the overlays unchanged by a file no build reads, even in the overlay's own directory", async () => {
    const github = source();
    const known: Record<string, KnownState> = {};
    recordApplied(await github.poll(request(known)), known);
    world.server.resetRequests();

    await repo.commit({
      "overlays/dev/unused.yaml": manifest("unused", 1, 2),
      "docs/notes.yaml": manifest("docs", 1, 2),
    });
    const result = await github.poll(request(known));

    expect(kinds()).toEqual(["branches", "git/trees"]);
    for (const name of ["dev", "prod", "web"]) expect(okService(result, name).changed).toBe(false);
  });

  it("reports a deleted base file as deleted for every overlay, and reads the landed set back from the cache", async () => {
    const github = source();
    const known: Record<string, KnownState> = {};
    recordApplied(await github.poll(request(known)), known);

    await repo.commit({
      "base/service.yaml": null,
      "base/kustomization.yaml": "resources:\n  - deploy.yaml\n",
    });
    const result = await github.poll(request(known));
    for (const name of ["dev", "prod"]) {
      expect(okService(result, name).deleted).toEqual(["base/service.yaml"]);
      expect(okService(result, name).files.map((file) => file.path)).not.toContain("base/service.yaml");
    }
    recordApplied(result, known);
    world.server.resetRequests();

    const landed = await github.read({
      repository: request(known).repository,
      service: { name: "dev", dir: "overlays/dev" },
      files: known.dev?.files ?? {},
    });

    expect(world.server.requests).toEqual([]);
    if (!landed.ok) throw new Error(landed.error.message);
    expect(landed.files.map((file) => [file.path, file.content])).toEqual(
      okService(result, "dev").files.map((file) => [file.path, file.content]),
    );
  });

  it("hands kustomize everything its build reads, and the remote base for it to refuse", async () => {
    const result = await source().poll(request({}));

    const built = await kustomizeBuild(
      "overlays/prod",
      okService(result, "prod").files,
      DEFAULT_KUSTOMIZE_OPTIONS,
    );
    const names = [...built.text.matchAll(/^ {2}name: (\S+)$/gm)].map((match) => match[1]).sort();
    expect(names).toEqual(["prod-base-1", "prod-base-2", expect.stringMatching(/^prod-settings-/)]);
    expect(built.text).toContain('version: "8"');
    const refused = await rejection<DesiredSetError>(
      kustomizeBuild("overlays/dev", okService(result, "dev").files, DEFAULT_KUSTOMIZE_OPTIONS),
    );
    expect([refused.code, refused.message]).toEqual(["E_KUSTOMIZE_REMOTE", expect.stringContaining(REMOTE)]);
  });

  it("spends one uncharged request on an idle poll: no closure is made again", async () => {
    const github = source();
    const known: Record<string, KnownState> = {};
    recordApplied(await github.poll(request(known)), known);
    world.server.resetRequests();

    const idle = await github.poll(request(known));

    expect(idle).toEqual({ status: "unchanged", changed: false, commit: await repo.head() });
    expect(world.server.counts()).toEqual({ total: 1, notModified: 1, charged: 0 });
  });

  it("fails the overlays with the tarball's error when it breaks, without reading their kustomizations as blobs", async () => {
    world.server.failNext(/\/_codeload\//, 3, { kind: "garbage" });

    const result = await source({ tarballMinBlobs: 4 }).poll(request({}));

    if (result.status !== "changed") throw new Error(`expected a change, got ${result.status}`);
    expect(result.services.map((each) => [each.service, !each.ok && each.error.code])).toEqual([
      ["dev", "E_SOURCE_PROTOCOL"],
      ["prod", "E_SOURCE_PROTOCOL"],
      ["web", "E_SOURCE_PROTOCOL"],
    ]);
    expect(kinds()).toEqual(["branches", "codeload", "git/trees", "tarball"]);
  });

  it("fails only the service whose kustomization is refused, with the closure's code and message", async () => {
    await repo.commit({
      "overlays/bad/kustomization.yaml": "resources:\n  - ../../../elsewhere\n",
      "overlays/broken/kustomization.yaml": "resources: [unclosed\n",
    });
    const services = [
      ...SERVICES,
      { name: "bad", dir: "overlays/bad" },
      { name: "broken", dir: "overlays/broken" },
    ];
    const known: Record<string, KnownState> = {};

    const result = await source().poll(request(known, services));

    if (result.status !== "changed") throw new Error(`expected a change, got ${result.status}`);
    const failed = result.services.filter((each) => !each.ok);
    expect(failed.map((each) => [each.service, !each.ok && each.error.code])).toEqual([
      ["bad", "E_KUSTOMIZE_INVALID"],
      ["broken", "E_KUSTOMIZE_INVALID"],
    ]);
    const [bad, broken] = failed;
    expect(!bad?.ok && bad?.error.message).toMatch(
      /^overlays\/bad\/kustomization\.yaml: resources\[0\]: "\.\.\/\.\.\/\.\.\/elsewhere" is outside the repository/,
    );
    expect(!broken?.ok && broken?.error.message).toMatch(
      /^overlays\/broken\/kustomization\.yaml: invalid YAML/,
    );
    expect(okService(result, "dev").files.map((file) => file.path)).toEqual(CLOSURES.dev);
    recordApplied(result, known);
    expect(Object.keys(known).sort()).toEqual(["dev", "prod", "web"]);
  });
});

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { GitRepo } from "../../test/github-server/git-repo.js";
import {
  captureLogger,
  createGitHubWorld,
  type GitHubWorld,
  manifest,
  requestKind,
} from "../../test/github-server/harness.js";
import { FAST_RETRY } from "../../test/source-support.js";
import { createGitHubSource } from "./github.js";
import type { ServiceResult, SourceRepository } from "./source.js";

const TOKEN = "ghp_readcommittesttoken00000000000000000";

describe("reading a service's directory at a commit", () => {
  let world: GitHubWorld;
  let repo: GitRepo;
  let repository: SourceRepository;
  beforeEach(async () => {
    world = await createGitHubWorld();
    repo = await world.addRepo("org", "gitops", TOKEN);
    repository = { owner: "org", repo: "gitops", branch: "main", apiUrl: world.server.url, token: TOKEN };
  });
  afterEach(async () => {
    await world.close();
  });

  const source = () => createGitHubSource({ retry: FAST_RETRY, log: captureLogger().log });
  const files = (result: ServiceResult) => {
    if (!result.ok) throw new Error(result.error.message);
    return result;
  };

  it("reads the set an older commit had while the head moved on, compared with the known set", async () => {
    const old = await repo.commit({ "web/a.yaml": manifest("web", 1), "web/b.yaml": manifest("web", 2) });
    await repo.commit({
      "web/a.yaml": manifest("web", 1, 2),
      "web/b.yaml": null,
      "web/c.yaml": manifest("web", 3),
    });
    const known = {
      "web/a.yaml": await repo.blobSha("web/a.yaml"),
      "web/c.yaml": await repo.blobSha("web/c.yaml"),
    };
    const read = files(
      await source().read({ repository, service: { name: "web", dir: "web" }, files: known, commit: old }),
    );
    expect(read.files.map((file) => [file.path, file.changed, file.content])).toEqual([
      ["web/a.yaml", true, manifest("web", 1)],
      ["web/b.yaml", true, manifest("web", 2)],
    ]);
    expect(read.deleted).toEqual(["web/c.yaml"]);
    expect(read.changed).toBe(true);
    expect(world.server.requests.map((request) => requestKind(request.path))).toEqual([
      "git/commits",
      "git/trees",
      "git/blobs",
      "git/blobs",
    ]);
  });

  it("reads a kustomized service's closure as the commit had it, its base included", async () => {
    const old = await repo.commit({
      "base/kustomization.yaml": "resources:\n  - cm.yaml\n",
      "base/cm.yaml": manifest("base", 1),
      "app/kustomization.yaml": "resources:\n  - ../base\n",
    });
    await repo.commit({
      "base/cm.yaml": manifest("base", 1, 2),
      "app/kustomization.yaml": "resources: []\n",
    });
    const read = files(
      await source().read({ repository, service: { name: "app", dir: "app" }, files: {}, commit: old }),
    );
    expect(Object.fromEntries(read.files.map((file) => [file.path, file.content]))).toEqual({
      "app/kustomization.yaml": "resources:\n  - ../base\n",
      "base/cm.yaml": manifest("base", 1),
      "base/kustomization.yaml": "resources:\n  - cm.yaml\n",
    });
  });

  it("fails the service, naming the commit, when the repository does not hold it", async () => {
    await repo.commit({ "web/a.yaml": manifest("web", 1) });
    const missing = "0123456789abcdef0123456789abcdef01234567";
    const read = await source().read({
      repository,
      service: { name: "web", dir: "web" },
      files: {},
      commit: missing,
    });
    expect(read.ok).toBe(false);
    if (read.ok) return;
    expect(read.error.code).toBe("E_SOURCE_COMMIT_NOT_FOUND");
    expect(read.error.message).toContain(`the commit ${missing} is not in the repository`);
    expect(read.error.message).toContain("org/gitops@main (service web)");
    expect(read.error.message).not.toContain(TOKEN);
    // 404 is not retried: one request.
    expect(world.server.requests).toHaveLength(1);
  });
});

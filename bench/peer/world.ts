import { mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { GitRepo } from "../../test/github-server/git-repo.js";
import { createGitHubWorld, type GitHubWorld } from "../../test/github-server/harness.js";
import { type GitHttpServer, startGitHttp } from "./git-http.js";

export const OWNER = "bench";
export const TOKEN = "ghp_benchpeertoken000000000000000000000000";

/**
 * PeerWorld serves the same git repositories two ways: through the GitHub test server's REST API (simple-gitops)
 * and over git's smart HTTP protocol (Flux), so both read the very commits the benchmark writes.
 */
export interface PeerWorld {
  readonly github: GitHubWorld;
  readonly git: GitHttpServer;
  /** addRepo creates a repository, commits `files` and serves it both ways. */
  addRepo(name: string, files: Record<string, string>): Promise<GitRepo>;
  /** cloneUrl is the smart-HTTP URL Flux clones `name` from. */
  cloneUrl(name: string): string;
  close(): Promise<void>;
}

/** createPeerWorld starts the GitHub test server and the git smart-HTTP server over one directory of repositories. */
export async function createPeerWorld(): Promise<PeerWorld> {
  const root = await mkdtemp(join(tmpdir(), "bench-peer-git-"));
  await mkdir(join(root, OWNER));
  const github = await createGitHubWorld();
  let git: GitHttpServer;
  try {
    git = await startGitHttp(root);
  } catch (error) {
    await github.close();
    throw error;
  }
  return {
    github,
    git,
    async addRepo(name, files) {
      const repo = await github.addRepo(OWNER, name, TOKEN);
      await repo.commit(files, "initial");
      await symlink(join(repo.dir, ".git"), join(root, OWNER, `${name}.git`));
      return repo;
    },
    cloneUrl: (name) => `${git.url}/${OWNER}/${name}.git`,
    async close() {
      await git.close();
      await github.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

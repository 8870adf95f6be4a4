import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gitText, runGit } from "./git.js";

/** FileChange is a file's new content, or `null` to delete it. */
export type FileChange = string | Uint8Array | null;

/**
 * GitRepo is a real git repository in a temp directory that a test writes commits into and the GitHub test server
 * reads from, so every SHA a test sees is the one git computed.
 */
export interface GitRepo {
  readonly dir: string;
  readonly branch: string;
  /** commit writes and deletes files, commits them on the branch and returns the new commit SHA. */
  commit(changes: Readonly<Record<string, FileChange>>, message?: string): Promise<string>;
  /**
   * commitTo commits on another branch (created from the main branch's head when it does not exist yet), as a pull
   * request's branch is pushed, and returns the new commit SHA; the main branch is left as it was.
   */
  commitTo(branch: string, changes: Readonly<Record<string, FileChange>>, message?: string): Promise<string>;
  /** rename moves a file (`git mv`) and commits it. */
  rename(from: string, to: string, message?: string): Promise<string>;
  /** resetTo moves the branch to any commit, as a force-push or a rewind does on GitHub. */
  resetTo(commit: string): Promise<void>;
  /** head is the commit the branch points to. */
  head(): Promise<string>;
  /** blobSha is the blob SHA of a path at the branch head, as `git rev-parse HEAD:path` says. */
  blobSha(path: string): Promise<string>;
  /** remove deletes the repository directory. */
  remove(): Promise<void>;
}

/** createGitRepo makes an empty repository on `branch` (default `main`); the branch exists after the first commit. */
export async function createGitRepo(options: { branch?: string } = {}): Promise<GitRepo> {
  const branch = options.branch ?? "main";
  const dir = await mkdtemp(join(tmpdir(), "gh-test-repo-"));
  await runGit(dir, ["init", "--quiet", "--initial-branch", branch]);
  const git = (...args: string[]) => gitText(dir, args);
  const write = async (changes: Readonly<Record<string, FileChange>>, message: string) => {
    for (const [path, content] of Object.entries(changes)) {
      const file = join(dir, path);
      if (content === null) {
        await rm(file, { force: true });
      } else {
        await mkdir(dirname(file), { recursive: true });
        await writeFile(file, content);
      }
    }
    await git("add", "--all");
    await git("commit", "--quiet", "--allow-empty", "--no-gpg-sign", "-m", message);
    return git("rev-parse", "HEAD");
  };
  const repo: GitRepo = {
    dir,
    branch,
    commit: (changes, message = "change") => write(changes, message),
    async commitTo(other, changes, message = `change on ${other}`) {
      const exists = await git("branch", "--list", other);
      await git("checkout", "--quiet", ...(exists === "" ? ["-b", other, branch] : [other]));
      try {
        return await write(changes, message);
      } finally {
        await git("checkout", "--quiet", branch);
      }
    },
    async rename(from, to, message = `rename ${from} to ${to}`) {
      await mkdir(dirname(join(dir, to)), { recursive: true });
      await git("mv", from, to);
      await git("commit", "--quiet", "--no-gpg-sign", "-m", message);
      return git("rev-parse", "HEAD");
    },
    async resetTo(commit) {
      await git("reset", "--quiet", "--hard", commit);
    },
    head: () => git("rev-parse", "HEAD"),
    blobSha: (path) => git("rev-parse", `HEAD:${path}`),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
  return repo;
}

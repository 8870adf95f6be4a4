import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createCatFile } from "./cat-file.js";
import { GitCommandError, gitText, runGit } from "./git.js";

/** GitPerson is an author or committer line of a commit object. */
export interface GitPerson {
  readonly name: string;
  readonly email: string;
  /** ISO 8601 without milliseconds, as GitHub writes dates. */
  readonly date: string;
}

/** GitCommit is a parsed commit object. */
export interface GitCommit {
  readonly sha: string;
  readonly tree: string;
  readonly parents: readonly string[];
  readonly author: GitPerson;
  readonly committer: GitPerson;
  readonly message: string;
}

/** GitTreeEntry is one line of `git ls-tree -l`, path relative to the listed tree. */
export interface GitTreeEntry {
  readonly mode: string;
  readonly type: string;
  readonly sha: string;
  readonly size?: number;
  readonly path: string;
}

/**
 * GitObjects reads one repository's objects with git itself. Objects are immutable, so everything but branch
 * resolution is cached by SHA; a test that makes hundreds of requests spawns git once per object.
 */
export interface GitObjects {
  resolveBranch(branch: string): Promise<string | undefined>;
  commit(sha: string): Promise<GitCommit>;
  /** tree resolves a tree SHA and lists it, or returns undefined when no such tree exists. */
  tree(sha: string, recursive: boolean): Promise<readonly GitTreeEntry[] | undefined>;
  blob(sha: string): Promise<Buffer | undefined>;
  /** archive is `git archive --format=tar.gz` of a commit with `prefix/` before every path, as GitHub's tarball. */
  archive(sha: string, prefix: string): Promise<Buffer | undefined>;
  close(): void;
}

function parsePerson(line: string): GitPerson {
  const match = /^(.*) <(.*)> (\d+) ([+-]\d{4})$/.exec(line);
  if (!match) throw new Error(`unparseable person line: ${line}`);
  const date = new Date(Number(match[3]) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
  return { name: match[1] ?? "", email: match[2] ?? "", date };
}

/** parseCommit reads the text of `git cat-file commit`. */
export function parseCommit(sha: string, text: string): GitCommit {
  const split = text.indexOf("\n\n");
  const header = (split === -1 ? text : text.slice(0, split)).split("\n");
  const message = split === -1 ? "" : text.slice(split + 2).replace(/\n$/, "");
  const field = (name: string) =>
    header.filter((line) => line.startsWith(`${name} `)).map((line) => line.slice(name.length + 1));
  return {
    sha,
    tree: field("tree")[0] ?? "",
    parents: field("parent"),
    author: parsePerson(field("author")[0] ?? ""),
    committer: parsePerson(field("committer")[0] ?? ""),
    message,
  };
}

/** parseLsTree reads the NUL-separated output of `git ls-tree -l -z`. */
export function parseLsTree(output: string): GitTreeEntry[] {
  return output
    .split("\0")
    .filter((record) => record !== "")
    .map((record) => {
      const tab = record.indexOf("\t");
      const [mode = "", type = "", sha = "", size = "-"] = record.slice(0, tab).trim().split(/\s+/);
      const path = record.slice(tab + 1);
      return size === "-" ? { mode, type, sha, path } : { mode, type, sha, size: Number(size), path };
    });
}

async function orUndefined<T>(work: Promise<T>): Promise<T | undefined> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof GitCommandError) return undefined;
    throw error;
  }
}

/** createGitObjects reads objects from the repository at `dir`. */
export function createGitObjects(dir: string): GitObjects {
  const commits = new Map<string, Promise<GitCommit>>();
  const trees = new Map<string, Promise<readonly GitTreeEntry[] | undefined>>();
  const blobs = new Map<string, Promise<Buffer | undefined>>();
  const archives = new Map<string, Promise<Buffer | undefined>>();
  const memo = <T>(cache: Map<string, Promise<T>>, key: string, load: () => Promise<T>) => {
    let value = cache.get(key);
    if (value === undefined) {
      value = load();
      cache.set(key, value);
      // An object missing now may be committed later: only what exists is immutable.
      value.then(
        (loaded) => loaded === undefined && cache.delete(key),
        () => cache.delete(key),
      );
    }
    return value;
  };
  const catFile = createCatFile(dir);
  const ofType = async (sha: string, type: string) => {
    const object = await catFile.read(sha);
    return object?.type === type ? object : undefined;
  };
  return {
    async resolveBranch(branch) {
      // A loose ref is one file; reading it beats spawning git on every one of hundreds of idle polls.
      const loose = branch.includes("..")
        ? undefined
        : await readFile(join(dir, ".git", "refs", "heads", branch), "utf8").catch(() => undefined);
      if (loose !== undefined && /^[0-9a-f]{40}\n?$/.test(loose)) return loose.trim();
      return orUndefined(gitText(dir, ["rev-parse", "--verify", "--quiet", `refs/heads/${branch}^{commit}`]));
    },
    commit: (sha) =>
      memo(commits, sha, async () => {
        const object = await ofType(sha, "commit");
        if (object === undefined) throw new Error(`no commit ${sha}`);
        return parseCommit(sha, object.content.toString("utf8"));
      }),
    tree: (sha, recursive) =>
      memo(trees, `${sha}:${recursive}`, async () => {
        if ((await ofType(sha, "tree")) === undefined) return undefined;
        // -t keeps the subtrees themselves in a recursive listing, as GitHub's recursive tree does.
        const args = recursive ? ["ls-tree", "-l", "-z", "-r", "-t", sha] : ["ls-tree", "-l", "-z", sha];
        return parseLsTree((await runGit(dir, args)).toString("utf8"));
      }),
    blob: (sha) => memo(blobs, sha, async () => (await ofType(sha, "blob"))?.content),
    archive: (sha, prefix) =>
      memo(archives, `${sha}:${prefix}`, async () => {
        if ((await ofType(sha, "commit")) === undefined) return undefined;
        return runGit(dir, ["archive", "--format=tar.gz", `--prefix=${prefix}/`, sha]);
      }),
    close: () => catFile.close(),
  };
}

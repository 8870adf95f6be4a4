import { normalizeDir } from "../../common/repo-path.js";
import { type DirListing, isUnderDir, type TreeEntry } from "./plan.js";

/** GitTree is one answer of `GET /repos/{o}/{r}/git/trees/{sha}`, with paths relative to that tree. */
export interface GitTree {
  readonly sha: string;
  readonly truncated: boolean;
  readonly tree: readonly TreeEntry[];
}

/** GetTree reads one tree, recursively or not. */
export type GetTree = (sha: string, recursive: boolean) => Promise<GitTree>;

/**
 * RepoListing is what a source knows of a commit's files: each service directory's listing, and the whole tree when
 * GitHub sent it whole (what a tarball's size and a kustomization's bases are judged from).
 */
export interface RepoListing {
  readonly dirs: ReadonlyMap<string, DirListing>;
  readonly tree?: readonly TreeEntry[];
}

/**
 * listServiceDirs lists what lies under each service directory of a commit's root tree. It asks for the whole tree
 * recursively once; when GitHub truncates it (over 100 000 entries or 7 MB,
 * https://docs.github.com/en/rest/git/trees#get-a-tree), it walks down only along the service directories, one
 * tree per level, each read at most once per poll.
 */
export async function listServiceDirs(
  rootTree: string,
  dirs: readonly string[],
  getTree: GetTree,
): Promise<RepoListing> {
  const listings = new Map<string, DirListing>();
  const wanted = [...new Set(dirs.map(normalizeDir))];
  const full = await getTree(rootTree, true);
  if (!full.truncated) {
    for (const dir of wanted) listings.set(dir, fromFullTree(full.tree, dir));
    return { dirs: listings, tree: full.tree };
  }
  const memo = new Map<string, Promise<GitTree>>();
  const read: GetTree = (sha, recursive) => {
    const key = `${sha}:${recursive}`;
    let tree = memo.get(key);
    if (tree === undefined) {
      tree = getTree(sha, recursive);
      memo.set(key, tree);
    }
    return tree;
  };
  await Promise.all(
    wanted.map(async (dir) => {
      const found = await resolveDir(rootTree, dir, read);
      listings.set(dir, found.exists ? { exists: true, entries: await walk(found.sha, dir, read) } : found);
    }),
  );
  return { dirs: listings };
}

function fromFullTree(tree: readonly TreeEntry[], dir: string): DirListing {
  if (dir !== "") {
    const self = tree.find((entry) => entry.path === dir);
    if (self === undefined) return { exists: false, reason: "missing" };
    if (self.type !== "tree") return { exists: false, reason: "not-a-directory" };
  }
  return { exists: true, entries: tree.filter((entry) => isUnderDir(entry.path, dir)) };
}

async function resolveDir(
  rootTree: string,
  dir: string,
  read: GetTree,
): Promise<{ exists: true; sha: string } | { exists: false; reason: "missing" | "not-a-directory" }> {
  let sha = rootTree;
  for (const name of dir === "" ? [] : dir.split("/")) {
    const entry = (await read(sha, false)).tree.find((candidate) => candidate.path === name);
    if (entry === undefined) return { exists: false, reason: "missing" };
    if (entry.type !== "tree") return { exists: false, reason: "not-a-directory" };
    sha = entry.sha;
  }
  return { exists: true, sha };
}

// A subtree is asked for recursively first: it is usually small enough, and one request beats one per level.
async function walk(sha: string, dir: string, read: GetTree): Promise<TreeEntry[]> {
  const prefix = dir === "" ? "" : `${dir}/`;
  const recursive = await read(sha, true);
  if (!recursive.truncated) return recursive.tree.map((entry) => ({ ...entry, path: prefix + entry.path }));
  const level = await read(sha, false);
  const nested = await Promise.all(
    level.tree.map(async (entry): Promise<TreeEntry[]> => {
      const path = prefix + entry.path;
      if (entry.type !== "tree") return [{ ...entry, path }];
      return [{ ...entry, path }, ...(await walk(entry.sha, path, read))];
    }),
  );
  return nested.flat();
}

import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { normalizeDir } from "../common/repo-path.js";
import type { DesiredFile } from "../controller/desired/files.js";
import { kustomizeClosure } from "../controller/desired/kustomize/closure.js";
import { KUSTOMIZATION_NAMES } from "../controller/desired/kustomize/references.js";
import { comparePaths, isManifestPath, MAX_FILE_BYTES } from "../controller/source/order.js";
import { CliError, EXIT } from "./cli-error.js";

/** MAX_LISTED bounds how many files of a checkout are listed for a kustomization's closure. */
export const MAX_LISTED = 100_000;

/** LocalDir is the directory --path names, and its repository path when it is inside a git checkout. */
export interface LocalDir {
  readonly path: string;
  readonly absolute: string;
  /** root is the checkout's root, the repository root a sync reads paths from; absent outside a checkout. */
  readonly root?: string;
  /** dir is the directory's path from `root`. */
  readonly dir?: string;
}

/** LocalService is a directory read as a service: `dir` its repository path, `files` what a sync would render. */
export interface LocalService {
  readonly dir: string;
  readonly files: DesiredFile[];
}

type Entry = { path: string; sha: string; size: number };

/** Tree maps repository paths to files: the directory `base` is at repository path `prefix`. */
interface Tree {
  readonly base: string;
  readonly prefix: string;
}

/** locateDir checks that --path is a directory and finds the git checkout holding it, if one does. */
export async function locateDir(path: string): Promise<LocalDir> {
  const absolute = resolve(path);
  const isDirectory = await stat(absolute).then(
    (found) => found.isDirectory(),
    () => false,
  );
  if (!isDirectory) throw new CliError(EXIT.usage, `--path ${path}: not a directory`);
  const root = checkoutRoot(absolute);
  return root === undefined
    ? { path, absolute }
    : { path, absolute, root, dir: repoPath({ base: root, prefix: "" }, absolute) };
}

/**
 * readLocalService reads a local directory as a sync reads the service's directory from GitHub: its `.yaml`, `.yml`
 * and `.json` files, every level down; or, when it holds a kustomization, the closure of its build (its bases and
 * the files they name, outside the directory too, within the checkout). Paths are repository paths: from the
 * checkout's root, or outside a checkout below `serviceDir` (the service's k8s_yaml_dir), as a sync names them in
 * the objects it applies. What the source would refuse (an empty directory, a file over 10 MiB or not UTF-8, a
 * closure that cannot be made) is a CliError naming it.
 */
export async function readLocalService(where: LocalDir, serviceDir: string): Promise<LocalService> {
  const tree: Tree =
    where.root === undefined
      ? { base: where.absolute, prefix: normalizeDir(serviceDir) }
      : { base: where.root, prefix: "" };
  const dir = repoPath(tree, where.absolute);
  const kustomized = KUSTOMIZATION_NAMES.some((name) => existsSync(join(where.absolute, name)));
  const entries = kustomized
    ? await closureOf(tree, dir)
    : (await listFiles(tree, where.absolute)).filter((entry) => isManifestPath(entry.path));
  if (entries.length === 0)
    throw new CliError(
      EXIT.usage,
      `--path ${where.path} holds no .yaml, .yml or .json file: a sync would fail it`,
    );
  const files = await Promise.all(entries.map((entry) => readEntry(tree, entry)));
  return { dir, files };
}

/** checkoutRoot is the nearest directory holding `.git`, or undefined when none does. */
function checkoutRoot(start: string): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, ".git"))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

function repoPath(tree: Tree, absolute: string): string {
  return normalizeDir([tree.prefix, ...relative(tree.base, absolute).split(sep)].join("/"));
}

function filePath(tree: Tree, path: string): string {
  const below = tree.prefix === "" ? path : path.slice(tree.prefix.length + 1);
  return join(tree.base, ...below.split("/"));
}

/** closureOf lists the tree and walks the kustomization of `dir` to what its build reads. */
async function closureOf(tree: Tree, dir: string): Promise<Entry[]> {
  const entries = await listFiles(tree, tree.base);
  const byPath = new Map(entries.map((entry) => [entry.path, entry]));
  try {
    const closure = await kustomizeClosure(dir, entries, (path) => readText(tree, path));
    return (closure?.paths ?? []).flatMap((path) => byPath.get(path) ?? []);
  } catch (error: unknown) {
    throw new CliError(EXIT.usage, `--path ${dir || "."}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * listFiles lists the regular files under `under` by repository path, sorted as the source sorts them. `.git` is
 * left out, and so are symbolic links, which the source never reads either.
 */
async function listFiles(tree: Tree, under: string): Promise<Entry[]> {
  const found: Entry[] = [];
  const pending = [under];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    for (const dirent of await readdir(next, { withFileTypes: true })) {
      const full = join(next, dirent.name);
      if (dirent.isDirectory() && dirent.name !== ".git") pending.push(full);
      if (!dirent.isFile()) continue;
      if (found.length >= MAX_LISTED)
        throw new CliError(
          EXIT.usage,
          `${tree.base} holds more than ${MAX_LISTED} files: give --path a smaller checkout`,
        );
      found.push({ path: repoPath(tree, full), sha: "", size: (await stat(full)).size });
    }
  }
  return found.sort((a, b) => comparePaths(a.path, b.path));
}

async function readEntry(tree: Tree, entry: Entry): Promise<DesiredFile> {
  const content = await readText(tree, entry.path, entry.size);
  // The blob SHA git would give it: the parse cache keys on it, as it does on GitHub's.
  const sha = createHash("sha1")
    .update(`blob ${Buffer.byteLength(content)}\0`)
    .update(content)
    .digest("hex");
  return { path: entry.path, sha, size: entry.size, changed: true, content };
}

/** readText reads a file as the source would: at most MAX_FILE_BYTES, and UTF-8. */
async function readText(tree: Tree, path: string, size?: number): Promise<string> {
  const full = filePath(tree, path);
  const bytes = size ?? (await stat(full)).size;
  if (bytes > MAX_FILE_BYTES)
    throw new CliError(
      EXIT.usage,
      `${path} is ${bytes} bytes, over the ${MAX_FILE_BYTES}-byte limit of a sync`,
    );
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(await readFile(full));
  } catch (error: unknown) {
    if (error instanceof TypeError)
      throw new CliError(EXIT.usage, `${path} is not UTF-8 text: a sync would fail it`);
    throw error;
  }
}

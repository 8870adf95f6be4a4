import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import type { DesiredFile } from "../controller/desired/files.js";
import { kustomizeClosure } from "../controller/desired/kustomize/closure.js";
import { KUSTOMIZATION_NAMES } from "../controller/desired/kustomize/references.js";
import { comparePaths, isManifestPath, MAX_FILE_BYTES } from "../controller/source/order.js";
import { CliError, EXIT } from "./command.js";

/** MAX_LISTED bounds how many files of a checkout are listed for a kustomization's closure. */
export const MAX_LISTED = 100_000;

/**
 * LocalService is a directory read as the GitHub source reads a service: `dir` its path from the repository root
 * (the git checkout holding it, else the directory itself), `files` what a sync would render, by repository path.
 */
export interface LocalService {
  readonly root: string;
  readonly dir: string;
  readonly files: DesiredFile[];
}

type Entry = { path: string; sha: string; size: number };

/**
 * readLocalService reads a local directory as a sync reads the service's directory from GitHub: its `.yaml`, `.yml`
 * and `.json` files, every level down; or, when it holds a kustomization, the closure of its build (its bases and
 * the files they name, outside the directory too, within the checkout). What the source would refuse (a missing or
 * empty directory, a file over 10 MiB or not UTF-8, a closure that cannot be made) is a CliError naming it.
 */
export async function readLocalService(path: string): Promise<LocalService> {
  const absolute = resolve(path);
  const isDirectory = await stat(absolute).then(
    (found) => found.isDirectory(),
    () => false,
  );
  if (!isDirectory) throw new CliError(EXIT.usage, `--path ${path}: not a directory`);
  const root = checkoutRoot(absolute);
  const dir = repoPath(root, absolute);
  const kustomized = KUSTOMIZATION_NAMES.some((name) => existsSync(join(absolute, name)));
  const entries = kustomized
    ? await closureOf(root, dir)
    : (await listFiles(root, absolute)).filter((entry) => isManifestPath(entry.path));
  if (entries.length === 0)
    throw new CliError(EXIT.usage, `--path ${path} holds no .yaml, .yml or .json file: a sync would fail it`);
  const files = await Promise.all(entries.map((entry) => readEntry(root, entry)));
  return { root, dir, files };
}

/** checkoutRoot is the nearest directory holding `.git`: the repository root a sync reads paths from. */
function checkoutRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, ".git"))) return dir;
    if (dirname(dir) === dir) return start;
  }
}

function repoPath(root: string, absolute: string): string {
  return relative(root, absolute).split(sep).join("/");
}

/** closureOf lists the checkout and walks the kustomization of `dir` to what its build reads. */
async function closureOf(root: string, dir: string): Promise<Entry[]> {
  const entries = await listFiles(root, root);
  const byPath = new Map(entries.map((entry) => [entry.path, entry]));
  try {
    const closure = await kustomizeClosure(dir, entries, (path) => readText(root, path));
    return (closure?.paths ?? []).flatMap((path) => byPath.get(path) ?? []);
  } catch (error: unknown) {
    throw new CliError(EXIT.usage, `--path ${dir || "."}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * listFiles lists the regular files under `under` by repository path, sorted as the source sorts them. `.git` is
 * left out, and so are symbolic links, which the source never reads either.
 */
async function listFiles(root: string, under: string): Promise<Entry[]> {
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
          `${root} holds more than ${MAX_LISTED} files: give --path a smaller checkout`,
        );
      found.push({ path: repoPath(root, full), sha: "", size: (await stat(full)).size });
    }
  }
  return found.sort((a, b) => comparePaths(a.path, b.path));
}

async function readEntry(root: string, entry: Entry): Promise<DesiredFile> {
  const content = await readText(root, entry.path, entry.size);
  // The blob SHA git would give it: the parse cache keys on it, as it does on GitHub's.
  const sha = createHash("sha1")
    .update(`blob ${Buffer.byteLength(content)}\0`)
    .update(content)
    .digest("hex");
  return { path: entry.path, sha, size: entry.size, changed: true, content };
}

/** readText reads a file as the source would: at most MAX_FILE_BYTES, and UTF-8. */
async function readText(root: string, path: string, size?: number): Promise<string> {
  const full = join(root, ...path.split("/"));
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

import { posix } from "node:path";
import { KustomizeError } from "./errors.js";
import { isRemote, KUSTOMIZATION_NAMES, kustomizationReferences, parseKustomization } from "./references.js";

/** MAX_KUSTOMIZATIONS bounds how many kustomizations one service's build may read. */
export const MAX_KUSTOMIZATIONS = 100;
/** MAX_KUSTOMIZATION_DEPTH bounds how deep bases may nest (overlay → base → base …). */
export const MAX_KUSTOMIZATION_DEPTH = 20;

/** RemoteReference is a URL a kustomization names, with the file and entry that name it. */
export interface RemoteReference {
  readonly file: string;
  readonly field: string;
  readonly url: string;
}

/** KustomizeClosure is everything a build may read: repository paths, and the remote references it names. */
export interface KustomizeClosure {
  /** root is the service's own kustomization file, which the built objects are attributed to. */
  readonly root: string;
  readonly paths: readonly string[];
  readonly remote: readonly RemoteReference[];
}

type Entry = { readonly path: string };

/**
 * kustomizeClosure is every repository path `kustomize build` of `serviceDir` may read, and the remote bases and
 * resources it names; undefined when the directory holds no kustomization. See {@link walkKustomization}.
 */
export async function kustomizeClosure(
  serviceDir: string,
  entries: readonly { path: string; sha: string; size: number }[],
  readText: (path: string) => Promise<string>,
): Promise<{ paths: readonly string[]; remote: readonly string[] } | undefined> {
  const closure = await walkKustomization(serviceDir, entries, readText);
  if (!closure) return undefined;
  return { paths: closure.paths, remote: [...new Set(closure.remote.map((ref) => ref.url))] };
}

/** kustomizationFileIn is the kustomization file of a directory (`""` = the repository root), if it has one. */
export function kustomizationFileIn(dir: string, entries: readonly Entry[]): string | undefined {
  return fileIn(dir, new Set(entries.map((entry) => entry.path)));
}

function fileIn(dir: string, files: ReadonlySet<string>): string | undefined {
  const found = KUSTOMIZATION_NAMES.map((name) => (dir === "" ? name : `${dir}/${name}`)).filter((path) =>
    files.has(path),
  );
  if (found.length > 1)
    throw new KustomizeError(
      "E_KUSTOMIZE_INVALID",
      dir === "" ? "." : dir,
      `more than one kustomization file (${found.join(", ")}); kustomize reads exactly one`,
    );
  return found[0];
}

/**
 * walkKustomization reads the kustomization of `serviceDir` and, transitively, every kustomization of this
 * repository it references (resources, bases, components, plugin configurations that are directories), collecting
 * each file those name: patches, generator files and env files, CRDs, configurations, OpenAPI schemas,
 * replacements. A path is resolved against the directory of the kustomization naming it, as kustomize does. A path
 * that leaves the repository (absolute, or `..` past the root), a cycle of kustomizations, or more than
 * MAX_KUSTOMIZATIONS or MAX_KUSTOMIZATION_DEPTH of them is an `E_KUSTOMIZE_INVALID` error naming the file and the
 * entry. A path that exists nowhere is left out: kustomize then reports it in its own words.
 */
export async function walkKustomization(
  serviceDir: string,
  entries: readonly Entry[],
  readText: (path: string) => Promise<string>,
): Promise<KustomizeClosure | undefined> {
  const files = new Set(entries.map((entry) => entry.path));
  const root = fileIn(serviceDir, files);
  if (root === undefined) return undefined;
  const isDirectory = directoryTest(entries);
  const paths = new Set<string>();
  const remote: RemoteReference[] = [];
  const visited = new Set<string>();

  const visit = async (dir: string, file: string, chain: readonly string[]): Promise<void> => {
    const via = chain.at(-1) ?? file;
    if (chain.length > MAX_KUSTOMIZATION_DEPTH)
      throw invalid(via, `kustomizations nest deeper than ${MAX_KUSTOMIZATION_DEPTH} levels`);
    if (visited.size >= MAX_KUSTOMIZATIONS)
      throw invalid(via, `a build may read at most ${MAX_KUSTOMIZATIONS} kustomizations`);
    visited.add(dir);
    paths.add(file);
    const doc = parseKustomization(file, await readText(file));
    for (const ref of kustomizationReferences(doc)) {
      // Inline YAML (a patch, a plugin's configuration) spans lines; a path never does.
      if (ref.inline && ref.value.includes("\n")) continue;
      if (isRemote(ref.value)) {
        remote.push({ file, field: ref.field, url: ref.value });
        continue;
      }
      const target = resolve(dir, ref.value);
      if (target === undefined) throw invalid(file, `${ref.field}: "${ref.value}" is outside the repository`);
      if (files.has(target)) paths.add(target);
      else if (ref.kind === "target" && isDirectory(target)) {
        const next = fileIn(target, files);
        if (next === undefined) continue;
        if (chain.includes(next) || next === file)
          throw invalid(
            file,
            `${ref.field}: "${ref.value}" makes a cycle (${[...chain, file, next].join(" → ")})`,
          );
        if (!visited.has(target)) await visit(target, next, [...chain, file]);
      }
    }
  };
  await visit(serviceDir, root, []);
  return { root, paths: [...paths].sort(), remote };
}

/** resolve is `value` relative to `dir`, from the repository root; undefined when it leaves the repository. */
function resolve(dir: string, value: string): string | undefined {
  if (value.startsWith("/")) return undefined;
  const joined = posix.normalize(posix.join(dir, value)).replace(/\/+$/, "");
  if (joined === ".." || joined.startsWith("../")) return undefined;
  return joined === "." ? "" : joined;
}

/**
 * directoryTest says whether a path is a directory holding files. A kustomization names a handful of directories,
 * so each is looked up by one scan (memoised) rather than every directory of a tree of 100 000 entries indexed.
 */
function directoryTest(entries: readonly Entry[]): (path: string) => boolean {
  const known = new Map<string, boolean>([["", true]]);
  return (path) => {
    let found = known.get(path);
    if (found === undefined) {
      const prefix = `${path}/`;
      found = entries.some((entry) => entry.path.startsWith(prefix));
      known.set(path, found);
    }
    return found;
  };
}

function invalid(file: string, reason: string): KustomizeError {
  return new KustomizeError("E_KUSTOMIZE_INVALID", file, reason);
}

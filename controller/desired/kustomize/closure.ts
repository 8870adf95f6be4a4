import { DesiredSetError } from "../errors.js";
import { KUSTOMIZATION_NAMES } from "./references.js";
import { type ChartUse, type RemoteReference, walkFrom } from "./walk.js";

export type { ChartUse, RemoteReference } from "./walk.js";

/** MAX_KUSTOMIZATIONS bounds how many kustomizations one service's build may read. */
export const MAX_KUSTOMIZATIONS = 100;
/** MAX_KUSTOMIZATION_DEPTH bounds how deep bases may nest (overlay → base → base …). */
export const MAX_KUSTOMIZATION_DEPTH = 20;

/** KustomizeClosure is everything a build may read: repository paths, and the remote references it names. */
export interface KustomizeClosure {
  /** root is the service's own kustomization file, which the built objects are attributed to. */
  readonly root: string;
  readonly paths: readonly string[];
  readonly remote: readonly RemoteReference[];
  /** charts are the `helmCharts` entries the build renders: kustomize then needs helm. */
  readonly charts: readonly ChartUse[];
}

type Entry = { readonly path: string };

/**
 * kustomizeClosure is every repository path `kustomize build` of `serviceDir` may read, and the remote references
 * (URLs) it names; undefined when the directory holds no kustomization. See {@link walkKustomization}.
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
    throw new DesiredSetError(
      "E_KUSTOMIZE_INVALID",
      dir === "" ? "." : dir,
      `more than one kustomization file (${found.join(", ")}); kustomize reads exactly one`,
    );
  return found[0];
}

/**
 * walkKustomization reads the kustomization of `serviceDir` and everything its build may read ({@link walkFrom}):
 * the kustomizations it references, the files they load, every file of the local Helm charts they render, and every
 * plugin configuration with the files it loads.
 * Bounded to MAX_KUSTOMIZATIONS kustomizations and MAX_KUSTOMIZATION_DEPTH levels; what it cannot read or does not
 * understand is an `E_KUSTOMIZE_INVALID` error naming the file and the entry.
 */
export async function walkKustomization(
  serviceDir: string,
  entries: readonly Entry[],
  readText: (path: string) => Promise<string>,
): Promise<KustomizeClosure | undefined> {
  const files = new Set(entries.map((entry) => entry.path));
  const root = fileIn(serviceDir, files);
  if (root === undefined) return undefined;
  const { paths, remote, charts } = await walkFrom(serviceDir, root, {
    files,
    isDirectory: directoryTest(entries),
    kustomizationIn: (dir) => fileIn(dir, files),
    filesUnder: (dir) => {
      const prefix = dir === "" ? "" : `${dir}/`;
      return entries.filter((entry) => entry.path.startsWith(prefix)).map((entry) => entry.path);
    },
    readText,
    limits: { maxKustomizations: MAX_KUSTOMIZATIONS, maxDepth: MAX_KUSTOMIZATION_DEPTH },
  });
  return { root, paths: [...paths].sort(), remote, charts };
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

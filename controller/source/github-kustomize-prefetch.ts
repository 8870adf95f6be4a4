import { basename, posix } from "node:path";
import { KUSTOMIZATION_NAMES } from "../desired/kustomize/references.js";
import { type FileEntry, planned } from "./github-kustomize-files.js";
import type { PlannedFile } from "./plan.js";

/**
 * PREFETCH_MAX_BYTES bounds what a poll keeps from a tarball on the guess that a kustomization will need it; past it
 * only the kustomization files themselves are kept and the rest is read blob by blob once the closure is known.
 */
export const PREFETCH_MAX_BYTES = 32 * 1024 * 1024;

/**
 * prefetchOf is every file of every kustomization directory of the tree (kustomization files alone when that is
 * over PREFETCH_MAX_BYTES): where bases, patches and generator files usually sit.
 */
export function prefetchOf(tree: readonly FileEntry[], maxFileBytes: number): PlannedFile[] {
  const names = new Set<string>(KUSTOMIZATION_NAMES);
  const isKustomization = (entry: FileEntry) => names.has(basename(entry.path));
  const dirs = new Set(tree.filter(isKustomization).map((entry) => parentOf(entry.path)));
  const inKustomizationDir = (path: string) => {
    for (let dir = parentOf(path); ; dir = parentOf(dir)) {
      if (dirs.has(dir)) return true;
      if (dir === "") return false;
    }
  };
  const files = tree.filter((entry) => entry.size <= maxFileBytes && inKustomizationDir(entry.path));
  const bytes = files.reduce((sum, entry) => sum + entry.size, 0);
  return (bytes <= PREFETCH_MAX_BYTES ? files : files.filter(isKustomization)).map(planned);
}

function parentOf(path: string): string {
  const parent = posix.dirname(path);
  return parent === "." ? "" : parent;
}

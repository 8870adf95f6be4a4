/** MANIFEST_EXTENSIONS are the only file endings a service directory contributes to the cluster. */
export const MANIFEST_EXTENSIONS: readonly string[] = [".yaml", ".yml", ".json"];

/**
 * MAX_FILE_BYTES is the largest manifest file read, 10 MiB: ten times the largest file of a widely used monitoring
 * stack (a 1 MB dashboards list), and what a 256 MiB controller can decode and parse with room to spare. GitHub's
 * blobs API serves files up to 100 MB.
 */
export const MAX_FILE_BYTES = 10 * 1024 * 1024;

/** isManifestPath says whether a path is a manifest by its ending (case-insensitive: `A.YAML` counts). */
export function isManifestPath(path: string): boolean {
  const lower = path.toLowerCase();
  return MANIFEST_EXTENSIONS.some((extension) => lower.endsWith(extension));
}

/**
 * comparePaths orders paths by UTF-16 code units, not by locale, so that the order of files is the same on every
 * machine and in every run.
 */
export function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

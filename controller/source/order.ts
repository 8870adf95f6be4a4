/** MANIFEST_EXTENSIONS are the only file endings a service directory contributes to the cluster. */
export const MANIFEST_EXTENSIONS: readonly string[] = [".yaml", ".yml", ".json"];

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

import { mkdir, mkdtemp, realpath, rm, writeFile } from "node:fs/promises";
import { dirname, join, posix } from "node:path";
import { DesiredSetError } from "../errors.js";

/**
 * withCheckout writes `files` at their repository paths under a fresh private directory of `parent` (mode 0700,
 * files 0600: generator files may hold secrets), runs `fn` on it and removes it afterwards, whether `fn` returned,
 * threw or was aborted. The directory's real path is given, so messages can be rewritten in repository terms.
 */
export async function withCheckout<T>(
  files: readonly { readonly path: string; readonly content: string }[],
  parent: string,
  fn: (root: string) => Promise<T>,
): Promise<T> {
  const root = await realpath(await mkdtemp(join(parent, "simple-gitops-kustomize-")));
  try {
    for (const file of files) {
      const target = join(root, checkedPath(file.path));
      await mkdir(dirname(target), { recursive: true, mode: 0o700 });
      // `wx`: a path is written once, and never through something already there.
      await writeFile(target, file.content, { mode: 0o600, flag: "wx" });
    }
    return await fn(root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** checkedPath refuses a path that would land outside the checkout; git never produces one, a bug might. */
function checkedPath(path: string): string {
  const normal = posix.normalize(path);
  if (path === "" || path.startsWith("/") || normal !== path || normal.split("/").includes(".."))
    throw new DesiredSetError("E_KUSTOMIZE_INVALID", path, "not a plain path inside the repository");
  return path;
}

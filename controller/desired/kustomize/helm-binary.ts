import { access, constants, stat } from "node:fs/promises";
import { delimiter, isAbsolute, join } from "node:path";
import type { EnvSource } from "../../../common/run.js";

/**
 * PINNED_HELM_VERSION is the helm release the controller is tested with: the one scripts/helm.sh builds and caches,
 * and the Dockerfile installs (test/helm-version.test.ts holds the three together).
 */
export const PINNED_HELM_VERSION = "v3.22.1";

/**
 * cachedHelmPath is where scripts/helm.sh caches its build for the user of `env`:
 * `${XDG_CACHE_HOME:-$HOME/.cache}/simple-gitops/helm-<version>/bin/helm`; undefined when neither is set.
 */
export function cachedHelmPath(env: EnvSource): string | undefined {
  const cache = env.XDG_CACHE_HOME || (env.HOME ? join(env.HOME, ".cache") : undefined);
  return cache === undefined
    ? undefined
    : join(cache, "simple-gitops", `helm-${PINNED_HELM_VERSION}`, "bin", "helm");
}

/** HelmLookup is the helm binary found, or what was looked at without finding one. */
export type HelmLookup = { readonly found: string } | { readonly missing: string };

/** IsExecutable says whether a path is a file this process may execute. */
export type IsExecutable = (path: string) => Promise<boolean>;

/** isExecutableFile is the production {@link IsExecutable}: a regular file (or a link to one) with execute access. */
export const isExecutableFile: IsExecutable = async (path) => {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
};

/**
 * findHelm is the helm binary a kustomization's charts are rendered with. A configured one (the config's
 * `helm_bin`: an absolute path, or a command name looked up in PATH) is the only candidate: a typo must not
 * silently render with another helm. Otherwise the build scripts/helm.sh caches (a checkout: the version tested),
 * then `helm` on PATH (the image's /usr/local/bin/helm).
 */
export async function findHelm(
  configured: string | undefined,
  env: EnvSource,
  isExecutable: IsExecutable = isExecutableFile,
): Promise<HelmLookup> {
  const onPath = (name: string) =>
    (env.PATH ?? "")
      .split(delimiter)
      .filter((dir) => isAbsolute(dir))
      .map((dir) => join(dir, name));
  if (configured !== undefined) {
    const candidates = isAbsolute(configured) ? [configured] : onPath(configured);
    const found = await firstExecutable(candidates, isExecutable);
    if (found !== undefined) return { found };
    return {
      missing: isAbsolute(configured)
        ? `helm_bin ${configured} is not an executable file`
        : `helm_bin ${configured} is not on PATH`,
    };
  }
  const cached = cachedHelmPath(env);
  const found = await firstExecutable([...(cached ? [cached] : []), ...onPath("helm")], isExecutable);
  if (found !== undefined) return { found };
  return {
    missing: `helm_bin is not set, and there is no helm ${cached ? `at ${cached} (where scripts/helm.sh builds it) nor ` : ""}on PATH`,
  };
}

async function firstExecutable(
  candidates: readonly string[],
  isExecutable: IsExecutable,
): Promise<string | undefined> {
  for (const candidate of candidates) if (await isExecutable(candidate)) return candidate;
  return undefined;
}

import { normalizeDir } from "../../common/repo-path.js";
import type { ServiceConfig } from "../config/types.js";
import { isManifestPath } from "../source/order.js";

/**
 * touchedServices picks the services a pull request's changed paths reach, in config order: a manifest under the
 * service's directory (a kustomization included), or any file of the set the service last landed, which for a
 * kustomized service is its whole build closure: a base elsewhere in the repository, a patch, a generator's input.
 * `landedFiles` gives each service's landed paths (none before its first landing: then only its directory counts).
 */
export function touchedServices(
  services: readonly ServiceConfig[],
  changed: readonly string[],
  landedFiles: (service: string) => Readonly<Record<string, string>> | undefined,
): ServiceConfig[] {
  return services.filter((service) => {
    const landed = landedFiles(service.name) ?? {};
    return changed.some(
      (path) => Object.hasOwn(landed, path) || (isManifestPath(path) && isUnder(path, service.dir)),
    );
  });
}

function isUnder(path: string, dir: string): boolean {
  const root = normalizeDir(dir);
  return root === "" || path.startsWith(`${root}/`);
}

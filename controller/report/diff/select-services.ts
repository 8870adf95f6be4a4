import type { Config, RepoConfig, ServiceConfig } from "../../config/types.js";

/** ServiceGroup is the services of one repository and branch, read with one poll. */
export interface ServiceGroup {
  readonly repo: RepoConfig;
  readonly services: readonly ServiceConfig[];
}

/**
 * selectServices picks the services named (every service when none is), grouped by repository in config order;
 * a name the config does not have is an error that lists the names it has.
 */
export function selectServices(
  config: Config,
  names: readonly string[],
): { groups: ServiceGroup[] } | { error: string } {
  const known = config.services.map((service) => service.name);
  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    return {
      error: `unknown --service ${unknown.map((name) => JSON.stringify(name)).join(", ")} (known: ${known.join(", ")})`,
    };
  }
  const chosen = config.services.filter((service) => names.length === 0 || names.includes(service.name));
  const groups = config.repos
    .map((repo) => ({ repo, services: chosen.filter((service) => service.repoKey === repo.key) }))
    .filter((group) => group.services.length > 0);
  return { groups };
}

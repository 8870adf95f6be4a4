import type { Config } from "../config/types.js";
import type { ControllerState } from "../record/state/state.js";
import type { PullRequest } from "./types.js";

/**
 * previewKey names what a preview depends on: the pull request's head, and for each service of its repository the
 * commit that landed and the size of its inventory. A push to the pull request, or a sync landing on the branch,
 * makes a new preview; nothing else does, so an idle repository is never previewed again.
 */
export function previewKey(pull: PullRequest, config: Config, state: ControllerState): string {
  const services = config.services
    .filter((service) => service.repoKey === pull.repoKey)
    .map((service) => {
      const record = state.services[service.name];
      return `${service.name}=${record?.commit ?? ""}/${record?.inventory.length ?? 0}`;
    });
  return [pull.headSha, ...services].join(" ");
}

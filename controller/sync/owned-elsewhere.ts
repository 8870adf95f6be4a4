import type { FileFailure } from "../desired/files.js";
import { describeRef, type KubeObject, refOf } from "../desired/render/types.js";
import type { ServiceSyncDeps } from "./service-run.js";
import { sourcePaths } from "./source-paths.js";

/**
 * ownedElsewhere refuses the objects another service already holds, naming it and both files: applied over, the
 * object would change under its owner, and pruned by this service, it would vanish while its owner says deployed.
 */
export function ownedElsewhere(
  service: string,
  objects: readonly KubeObject[],
  ownerOf: ServiceSyncDeps["ownerOf"],
): FileFailure[] {
  if (!ownerOf) return [];
  const pathOf = sourcePaths(objects);
  return objects.flatMap((object) => {
    const ref = refOf(object);
    const owner = ownerOf(ref);
    if (!owner || owner.service === service) return [];
    return [
      {
        path: pathOf(ref),
        code: "E_OWNED_ELSEWHERE",
        error: `${describeRef(ref)} belongs to service ${owner.service}${owner.path ? ` (${owner.path})` : ""}; an object can belong to one service, so nothing of ${service} was applied`,
      },
    ];
  });
}

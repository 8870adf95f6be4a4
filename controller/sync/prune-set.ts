import type { Logger } from "pino";
import type { Applyer, ObjectDeleteResult } from "../../applyers/applyer.js";
import { planPrune } from "../../applyers/inventory.js";
import { type ObjectRef, refKey } from "../render/types.js";

/** PruneSetInput is what a service's prune decides from: what it owned, what git wants now, and the guards. */
export interface PruneSetInput {
  readonly service: string;
  readonly previous: readonly ObjectRef[];
  readonly desired: readonly ObjectRef[];
  /** The whole directory was read and rendered: nothing is missing from `desired` because it was not read. */
  readonly listingComplete: boolean;
  /** Every desired object landed and every workload is healthy. */
  readonly applyComplete: boolean;
  readonly prune: boolean;
}

/**
 * pruneSet deletes the objects that left git, once the guards allow it; with `prune` off it deletes nothing and
 * returns them as `orphaned`, so the result and the log say they were left in place.
 */
export async function pruneSet(
  input: PruneSetInput,
  deps: { readonly applyer: Applyer; readonly log: Logger },
): Promise<{ pruned: ObjectDeleteResult[]; orphaned: ObjectRef[] }> {
  const plan = planPrune({
    previous: input.previous,
    desired: input.desired,
    applyComplete: input.applyComplete,
    listingComplete: input.listingComplete,
  });
  if (plan.prune.length === 0) return { pruned: [], orphaned: [] };
  if (!input.prune) return { pruned: [], orphaned: plan.prune };
  deps.log.info(
    { service: input.service, objects: plan.prune.map(refKey) },
    "pruning objects removed from git",
  );
  return { pruned: (await deps.applyer.delete(plan.prune)).objects, orphaned: [] };
}

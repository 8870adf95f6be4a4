import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, type ObjectRef, refKey } from "../kube/objects.js";
import type { ObjectApplyResult, ObjectDeleteResult } from "./applyer.js";

/** PruneInput is everything prune planning looks at; plain data, so planning is pure. */
export interface PruneInput {
  /** previous is the service's stored inventory: the objects it applied before. */
  previous: readonly ObjectRef[];
  /** desired is every object the service's git directory renders to now. */
  desired: readonly ObjectRef[];
  /** applyComplete is true only when every desired object was applied without failure. */
  applyComplete: boolean;
  /** listingComplete is true only when the whole service directory was read (no listing or fetch error). */
  listingComplete: boolean;
  /**
   * live maps refKey to the labels of the live object, for the candidates the caller looked up. A candidate
   * missing from the map is gone already. Without a map, the inventory is trusted to hold only our objects.
   */
  live?: ReadonlyMap<string, Readonly<Record<string, string>> | undefined>;
  /** pruneNamespaces allows deleting Namespace objects (and so everything in them); off by default. */
  pruneNamespaces?: boolean;
}

/** PruneSkipReason says why a candidate is not deleted. */
export type PruneSkipReason = "not-managed" | "namespace" | "gone";

/** PrunePlan lists what to delete, what is kept on purpose, and why nothing is deleted when blocked. */
export interface PrunePlan {
  prune: ObjectRef[];
  skipped: { ref: ObjectRef; reason: PruneSkipReason }[];
  blocked?: "apply-incomplete" | "listing-partial";
}

/**
 * planPrune returns the inventory objects that are no longer in git and may be deleted. It deletes nothing at all
 * unless the desired set was read completely and applied without failure, because then "not in git" may just
 * mean "not read" (see fluxcd kustomize-controller, which prunes only after a successful apply). It never deletes
 * objects whose live labels lack our managed-by label, and never Namespaces unless allowed.
 */
export function planPrune(input: PruneInput): PrunePlan {
  if (!input.listingComplete) return { prune: [], skipped: [], blocked: "listing-partial" };
  if (!input.applyComplete) return { prune: [], skipped: [], blocked: "apply-incomplete" };
  const desired = new Set(input.desired.map(refKey));
  const plan: PrunePlan = { prune: [], skipped: [] };
  const seen = new Set<string>();
  for (const ref of input.previous) {
    const key = refKey(ref);
    if (desired.has(key) || seen.has(key)) continue;
    seen.add(key);
    if (ref.kind === "Namespace" && !input.pruneNamespaces) {
      plan.skipped.push({ ref, reason: "namespace" });
    } else if (input.live && !input.live.has(key)) {
      plan.skipped.push({ ref, reason: "gone" });
    } else if (input.live && input.live.get(key)?.[MANAGED_BY_LABEL] !== MANAGED_BY_VALUE) {
      plan.skipped.push({ ref, reason: "not-managed" });
    } else {
      plan.prune.push(ref);
    }
  }
  return plan;
}

/**
 * nextInventory is what to store after a sync: the previous inventory plus every object applied now, minus the
 * objects a delete confirmed gone. Objects that failed to apply and were never applied before are not ours yet;
 * objects removed from git but not pruned stay, so a later prune still finds them. Sorted, so equal sets store
 * equally.
 */
export function nextInventory(input: {
  previous: readonly ObjectRef[];
  applied: readonly ObjectApplyResult[];
  deleted?: readonly ObjectDeleteResult[];
}): ObjectRef[] {
  const byKey = new Map<string, ObjectRef>();
  for (const ref of input.previous) byKey.set(refKey(ref), plainRef(ref));
  for (const result of input.applied)
    if (result.action !== "failed") byKey.set(refKey(result), plainRef(result));
  for (const result of input.deleted ?? []) {
    if (result.action === "deleted" || result.action === "not-found") byKey.delete(refKey(result));
  }
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, ref]) => ref);
}

function plainRef(ref: ObjectRef): ObjectRef {
  return {
    apiVersion: ref.apiVersion,
    kind: ref.kind,
    ...(ref.namespace ? { namespace: ref.namespace } : {}),
    name: ref.name,
  };
}

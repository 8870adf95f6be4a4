import {
  type DeleteRef,
  landed,
  type ObjectApplyResult,
  type ObjectDeleteResult,
} from "../../applyers/applyer.js";
import {
  type KubeObject,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  type ObjectRef,
  refKey,
  SERVICE_ANNOTATION,
} from "../../kube/objects.js";

/** PRUNE_ANNOTATION set to {@link PRUNE_DISABLED} on a live object keeps prune from ever deleting it. */
export const PRUNE_ANNOTATION = "simple-gitops.io/prune";
/** PRUNE_DISABLED is the value of {@link PRUNE_ANNOTATION} that opts an object out of prune. */
export const PRUNE_DISABLED = "disabled";

/** LiveMeta is what prune planning needs of a live object: its ownership marks and its UID. */
export interface LiveMeta {
  labels?: Readonly<Record<string, string>>;
  annotations?: Readonly<Record<string, string>>;
  uid?: string;
}

/** PruneInput is everything prune planning looks at; plain data, so planning is pure. */
export interface PruneInput {
  /** service is the service whose prune this is; a live object must name it in its service annotation. */
  service: string;
  /** previous is the service's stored inventory: the objects it applied before. */
  previous: readonly ObjectRef[];
  /** desired is every object the service's git directory renders to now. */
  desired: readonly ObjectRef[];
  /** applyComplete is true only when every desired object was applied without failure and is healthy. */
  applyComplete: boolean;
  /** listingComplete is true only when the whole service directory was read (no listing or fetch error). */
  listingComplete: boolean;
  /**
   * live maps refKey to the live object of each candidate the caller read; a candidate that maps to undefined, or
   * is missing from the map, is gone already. Without a map nothing is checked: the plan then only lists the
   * candidates (to report them, as when prune is off), and must not be used to delete.
   */
  live?: ReadonlyMap<string, LiveMeta | undefined>;
}

/**
 * PruneSkipReason says why a candidate is not deleted: Namespaces never are (everything in them would go too); the
 * object is gone already; it lost our managed-by label (taken over by hand, or by another tool); its service
 * annotation is missing or names another service; or it is annotated `simple-gitops.io/prune: disabled`.
 */
export type PruneSkipReason = "namespace" | "gone" | "not-managed" | "other-service" | "disabled";

/** PrunePlan lists what to delete, what is kept on purpose and why, and why nothing is deleted when blocked. */
export interface PrunePlan {
  /** prune is what to delete, in inventory order, each with the UID it was read with (when read). */
  prune: DeleteRef[];
  skipped: { ref: ObjectRef; reason: PruneSkipReason }[];
  blocked?: "apply-incomplete" | "listing-partial";
}

/**
 * planPrune returns the inventory objects that are no longer in git and may be deleted, like fluxcd/pkg ssa's
 * `DeleteAll` (manager_delete.go) decides from the live objects. It deletes nothing at all unless the desired set
 * was read completely and applied and became healthy, because then "not in git" may just mean "not read" (fluxcd
 * kustomize-controller, too, prunes only after a successful apply). Of the live objects it deletes only those that
 * still carry our managed-by label and this service's annotation and are not opted out; never a Namespace.
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
    const reason = skipReason(ref, input.live, input.service);
    if (reason) plan.skipped.push({ ref, reason });
    else {
      const uid = input.live?.get(key)?.uid;
      plan.prune.push(uid ? { ...plainRef(ref), uid } : plainRef(ref));
    }
  }
  return plan;
}

function skipReason(ref: ObjectRef, live: PruneInput["live"], service: string): PruneSkipReason | undefined {
  if (ref.kind === "Namespace") return "namespace";
  if (!live) return undefined;
  const object = live.get(refKey(ref));
  if (!object) return "gone";
  if (object.labels?.[MANAGED_BY_LABEL] !== MANAGED_BY_VALUE) return "not-managed";
  const owner = object.annotations?.[SERVICE_ANNOTATION];
  if (owner === undefined) return "not-managed";
  if (owner !== service) return "other-service";
  if (object.annotations?.[PRUNE_ANNOTATION] === PRUNE_DISABLED) return "disabled";
  return undefined;
}

/** liveMeta is the part of a live object (or of its absence) that prune planning looks at. */
export function liveMeta(object: KubeObject | undefined): LiveMeta | undefined {
  if (!object) return undefined;
  const { labels, annotations, uid } = object.metadata;
  return {
    ...(labels ? { labels } : {}),
    ...(annotations ? { annotations } : {}),
    ...(typeof uid === "string" ? { uid } : {}),
  };
}

/**
 * nextInventory is what to store after a sync: the previous inventory plus every object applied now, minus the
 * objects a delete confirmed gone. Objects that failed to apply (or were skipped) and were never applied before are
 * not ours yet; objects removed from git but not pruned (kept, refused, or re-created since they were read) stay,
 * so a later prune looks at them again. Sorted, so equal sets store equally.
 */
export function nextInventory(input: {
  previous: readonly ObjectRef[];
  applied: readonly ObjectApplyResult[];
  deleted?: readonly ObjectDeleteResult[];
}): ObjectRef[] {
  const byKey = new Map<string, ObjectRef>();
  for (const ref of input.previous) byKey.set(refKey(ref), plainRef(ref));
  for (const result of input.applied) if (landed(result)) byKey.set(refKey(result), plainRef(result));
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

import type { Logger } from "pino";
import type { Applyer, DeleteRef, ObjectDeleteResult } from "../../applyers/applyer.js";
import type { Clock } from "../../common/clock.js";
import { mapLimit } from "../../common/map-limit.js";
import type { CustomResourceLister } from "../../kube/list-custom-resources.js";
import { describeRef, groupOf, type KubeObject, type ObjectRef, refKey } from "../../kube/objects.js";
import { kindRank } from "../desired/render/sort.js";
import { awaitGone } from "./await-gone.js";
import { type LiveMeta, liveMeta, type PruneSkipReason, planPrune } from "./inventory.js";

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
  /**
   * remove are objects of `previous` deleted when the set lacks them even with `prune` off: what failed syncs created,
   * undone by a rollback. They are not objects that left git, so `prune: false` does not keep them.
   */
  readonly remove?: readonly ObjectRef[];
}

/** PruneSetDeps are what prune reads the cluster with and deletes with. */
export interface PruneSetDeps {
  readonly applyer: Applyer;
  readonly log: Logger;
  /** readObject reads a live object (undefined when it does not exist); without it nothing is deleted. */
  readonly readObject?: (ref: ObjectRef) => Promise<KubeObject | undefined>;
  /** signal stops the prune between deletes when the sync is aborted (leadership lost, shutting down). */
  readonly signal?: AbortSignal;
  /**
   * goneTimeoutMs is how long each deleted object may take to go (its finalizers) before what it may depend on is
   * deleted; past it, the object is reported stuck. Without it, or with a clock missing, deletes are not waited for.
   */
  readonly goneTimeoutMs?: number;
  readonly clock?: Clock;
  /**
   * listCustomResources lists what exists of a CRD prune would delete; without it a CRD is deleted whatever uses it,
   * as before.
   */
  readonly listCustomResources?: CustomResourceLister;
}

/**
 * KeptReason says why an object that left git was kept: a planning reason, `unverified` (no way to read it),
 * `behind-stuck` (deleted later in the order than an object still held by its finalizers), or `behind-in-use`
 * (in the prune of a CRD whose custom resources other services or people still have).
 */
export type KeptReason = Exclude<PruneSkipReason, "gone"> | "unverified" | "behind-stuck" | "behind-in-use";

/**
 * PruneSetResult is what prune did: `pruned` has a delete result per object it deleted or tried to (`not-found`
 * for one already gone, `failed` for one it could not read or delete, `conflict` for one re-created since it was
 * read); `orphaned` the objects left in place because prune is off; `kept` those left in place on purpose, and why.
 */
export interface PruneSetResult {
  pruned: ObjectDeleteResult[];
  orphaned: ObjectRef[];
  kept: { ref: ObjectRef; reason: KeptReason }[];
}

const READ_CONCURRENCY = 4;

/**
 * pruneSet deletes the objects that left git, once the guards allow it, the way fluxcd/pkg ssa's manager_delete.go
 * does: each candidate is read live and deleted only when it still carries our managed-by label and this service's
 * annotation and is not annotated `simple-gitops.io/prune: disabled`, with a precondition on the UID read, in the
 * reverse of the apply order, each rank gone before the next (see deleteInOrder); never a Namespace. With `prune`
 * off it deletes only `remove` and returns the other candidates as `orphaned`; without a way to read live objects it
 * deletes nothing and says so, rather than delete blind.
 */
export async function pruneSet(input: PruneSetInput, deps: PruneSetDeps): Promise<PruneSetResult> {
  const guarded = {
    service: input.service,
    desired: input.desired,
    listingComplete: input.listingComplete,
    applyComplete: input.applyComplete,
  };
  const candidates = planPrune({ ...guarded, previous: input.previous });
  if (candidates.blocked) {
    deps.log.debug({ service: input.service, blocked: candidates.blocked }, "prune skipped: guard not met");
    return { pruned: [], orphaned: [], kept: [] };
  }
  const kept: PruneSetResult["kept"] = candidates.skipped.map(({ ref, reason }) => ({
    ref,
    reason: reason as KeptReason,
  }));
  const removable = new Set((input.remove ?? []).map(refKey));
  const deletable = input.prune
    ? candidates.prune
    : candidates.prune.filter((ref) => removable.has(refKey(ref)));
  const orphaned = input.prune ? [] : candidates.prune.filter((ref) => !removable.has(refKey(ref)));
  if (deletable.length === 0) {
    logKept(deps.log, input.service, kept);
    return { pruned: [], orphaned, kept };
  }
  const read = deps.readObject;
  if (!read) {
    deps.log.warn(
      { service: input.service, objects: deletable.map(describeRef) },
      "objects removed from git were kept: prune cannot read live objects to check they are still ours",
    );
    kept.push(...deletable.map((ref) => ({ ref, reason: "unverified" as const })));
    return { pruned: [], orphaned, kept };
  }

  const reads = await mapLimit(deletable, READ_CONCURRENCY, (ref) => readLive(ref, read));
  const unreadable = reads.flatMap((r) => (r.failed ? [r.failed] : []));
  const live = new Map(reads.flatMap((r) => (r.failed ? [] : [[refKey(r.ref), r.live] as const])));
  const plan = planPrune({
    ...guarded,
    previous: deletable.filter((ref) => live.has(refKey(ref))),
    live,
  });
  const pruned: ObjectDeleteResult[] = [...unreadable];
  for (const { ref, reason } of plan.skipped) {
    // Gone already: reported as such, so the inventory lets go of it.
    if (reason === "gone") pruned.push({ ...ref, action: "not-found", message: "already gone when read" });
    else kept.push({ ref, reason });
  }
  const inUse = await crdsInUse(plan.prune, deps);
  if (inUse.length > 0) {
    pruned.push(...inUse);
    const held = plan.prune.filter((ref) => !inUse.some((crd) => refKey(crd) === refKey(ref)));
    kept.push(...held.map(({ uid: _uid, ...ref }) => ({ ref, reason: "behind-in-use" as const })));
    logKept(deps.log, input.service, kept);
    deps.log.warn(
      { service: input.service, objects: inUse.map(describeRef), messages: inUse.map((crd) => crd.message) },
      "objects removed from git were kept: custom resources of a CRD among them still exist",
    );
    return { pruned, orphaned, kept };
  }
  logKept(deps.log, input.service, kept);
  if (plan.prune.length > 0) {
    deps.log.info(
      { service: input.service, objects: plan.prune.map(describeRef) },
      "pruning objects removed from git",
    );
  }
  pruned.push(...(await deleteInOrder(input.service, plan.prune, kept, deps)));
  for (const object of pruned.filter((o) => o.action === "conflict")) {
    deps.log.warn(
      { service: input.service, object: describeRef(object), message: object.message },
      "object removed from git was kept: it was re-created since it was read",
    );
  }
  return { pruned, orphaned, kept };
}

async function readLive(
  ref: ObjectRef,
  read: (ref: ObjectRef) => Promise<KubeObject | undefined>,
): Promise<{ ref: ObjectRef; live?: LiveMeta; failed?: ObjectDeleteResult }> {
  try {
    const live = liveMeta(await read(ref));
    return live ? { ref, live } : { ref };
  } catch (error: unknown) {
    const message = `cannot read the live object, so it was not deleted: ${(error as Error).message}`;
    return { ref, failed: { ...ref, action: "failed", message } };
  }
}

const CRD_GROUP = "apiextensions.k8s.io";

/**
 * crdsInUse holds back the prune of a CRD that still has custom resources other than those this prune deletes
 * first: another service's (one that depends on this one, removed in the same commit and synced after it) or a
 * person's. Deleting it would delete them with it, and deleting its operator first (a workload, earlier in the
 * order) would leave their finalizers to nobody. Each such CRD is a `failed` delete naming what still uses it; a
 * later sync deletes the whole set once they are gone. A CRD whose use cannot be read is held the same way.
 */
async function crdsInUse(refs: readonly DeleteRef[], deps: PruneSetDeps): Promise<ObjectDeleteResult[]> {
  const { listCustomResources: list, readObject: read } = deps;
  if (!list || !read) return [];
  const deleting = new Set(refs.map(refKey));
  const crds = refs.filter(
    (ref) => ref.kind === "CustomResourceDefinition" && groupOf(ref.apiVersion) === CRD_GROUP,
  );
  const held = await mapLimit(
    crds,
    READ_CONCURRENCY,
    async ({ uid: _uid, ...crd }): Promise<ObjectDeleteResult[]> => {
      try {
        const live = await read(crd);
        const others = live ? (await list(live, deps.signal)).filter((cr) => !deleting.has(refKey(cr))) : [];
        if (others.length === 0) return [];
        const named = others.slice(0, 3).map(describeRef).join(", ");
        const more = others.length > 3 ? ` and ${others.length - 3} more` : "";
        const message = `kept with the rest of this prune: its custom resources still exist (${named}${more}); delete them, or let the service that applies them prune them first (depends_on)`;
        return [{ ...crd, action: "failed", message }];
      } catch (error: unknown) {
        deps.signal?.throwIfAborted();
        const message = `kept with the rest of this prune: cannot list its custom resources (${(error as Error).message}); deleting it would delete them all: grant the controller list on them, or delete it by hand once they are gone`;
        return [{ ...crd, action: "failed", message }];
      }
    },
  );
  return held.flat();
}

/**
 * deleteInOrder deletes rank by rank, in the reverse of the apply order, and waits for each rank to be gone before
 * the next: a custom resource's finalizer runs while its operator and its CRD still exist. An object still there
 * past the deadline is a `failed` delete saying why, and the later ranks are kept (`behind-stuck`) for a later sync.
 */
async function deleteInOrder(
  service: string,
  refs: readonly DeleteRef[],
  kept: PruneSetResult["kept"],
  deps: PruneSetDeps,
): Promise<ObjectDeleteResult[]> {
  const { readObject, clock, goneTimeoutMs = 0 } = deps;
  const pruned: ObjectDeleteResult[] = [];
  const phases = reverseApplyPhases(refs);
  for (const [index, phase] of phases.entries()) {
    const results = (await deps.applyer.delete(phase, deps.signal ? { signal: deps.signal } : {})).objects;
    const deleted = new Set(results.filter((r) => r.action === "deleted").map(refKey));
    const stuck =
      readObject && clock && goneTimeoutMs > 0
        ? await awaitGone(
            phase.filter((ref) => deleted.has(refKey(ref))),
            { readObject, clock, timeoutMs: goneTimeoutMs, ...(deps.signal ? { signal: deps.signal } : {}) },
          )
        : new Map<string, string>();
    pruned.push(
      ...results.map((result): ObjectDeleteResult => {
        const why = stuck.get(refKey(result));
        return why === undefined ? result : { ...result, action: "failed", message: why };
      }),
    );
    if (stuck.size === 0) continue;
    const behind = phases.slice(index + 1).flat();
    kept.push(...behind.map(({ uid: _uid, ...ref }) => ({ ref, reason: "behind-stuck" as const })));
    deps.log.warn(
      {
        service,
        objects: results.filter((r) => stuck.has(refKey(r))).map(describeRef),
        kept: behind.map(describeRef),
      },
      "objects removed from git are stuck on their finalizers; what they may depend on is kept until they are gone",
    );
    break;
  }
  return pruned;
}

/**
 * reverseApplyPhases groups deletions by apply rank, last applied first: custom resources before the CRDs that
 * define them, workloads before the ConfigMaps and ServiceAccounts they use. An applyer deletes one call's refs
 * concurrently, so each rank is its own call.
 */
export function reverseApplyPhases(refs: readonly DeleteRef[]): DeleteRef[][] {
  const byRank = new Map<number, DeleteRef[]>();
  for (const ref of refs) {
    const rank = kindRank(ref.kind);
    byRank.set(rank, [...(byRank.get(rank) ?? []), ref]);
  }
  return [...byRank.entries()].sort(([a], [b]) => b - a).map(([, phase]) => phase);
}

function logKept(log: Logger, service: string, kept: PruneSetResult["kept"]): void {
  if (kept.length === 0) return;
  log.info(
    { service, kept: kept.map(({ ref, reason }) => `${describeRef(ref)}: ${reason}`) },
    "objects removed from git were kept",
  );
}

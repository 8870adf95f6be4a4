import type { Logger } from "pino";
import type { Applyer, DeleteRef, ObjectDeleteResult } from "../../applyers/applyer.js";
import { mapLimit } from "../../common/map-limit.js";
import { describeRef, type KubeObject, type ObjectRef, refKey } from "../../kube/objects.js";
import { kindRank } from "../desired/render/sort.js";
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
}

/** PruneSetDeps are what prune reads the cluster with and deletes with. */
export interface PruneSetDeps {
  readonly applyer: Applyer;
  readonly log: Logger;
  /** readObject reads a live object (undefined when it does not exist); without it nothing is deleted. */
  readonly readObject?: (ref: ObjectRef) => Promise<KubeObject | undefined>;
  /** signal stops the prune between deletes when the sync is aborted (leadership lost, shutting down). */
  readonly signal?: AbortSignal;
}

/** KeptReason says why an object that left git was kept: a planning reason, or `unverified` (no way to read it). */
export type KeptReason = Exclude<PruneSkipReason, "gone"> | "unverified";

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
 * reverse of the apply order (custom resources before their CRDs); never a Namespace. With `prune` off it deletes
 * nothing and returns the candidates as `orphaned`; without a way to read live objects it deletes nothing either
 * and says so, rather than delete blind.
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
  if (candidates.prune.length === 0 || !input.prune) {
    logKept(deps.log, input.service, kept);
    return { pruned: [], orphaned: candidates.prune, kept };
  }
  const read = deps.readObject;
  if (!read) {
    deps.log.warn(
      { service: input.service, objects: candidates.prune.map(describeRef) },
      "objects removed from git were kept: prune cannot read live objects to check they are still ours",
    );
    kept.push(...candidates.prune.map((ref) => ({ ref, reason: "unverified" as const })));
    return { pruned: [], orphaned: [], kept };
  }

  const reads = await mapLimit(candidates.prune, READ_CONCURRENCY, (ref) => readLive(ref, read));
  const unreadable = reads.flatMap((r) => (r.failed ? [r.failed] : []));
  const live = new Map(reads.flatMap((r) => (r.failed ? [] : [[refKey(r.ref), r.live] as const])));
  const plan = planPrune({
    ...guarded,
    previous: candidates.prune.filter((ref) => live.has(refKey(ref))),
    live,
  });
  const pruned: ObjectDeleteResult[] = [...unreadable];
  for (const { ref, reason } of plan.skipped) {
    // Gone already: reported as such, so the inventory lets go of it.
    if (reason === "gone") pruned.push({ ...ref, action: "not-found", message: "already gone when read" });
    else kept.push({ ref, reason });
  }
  logKept(deps.log, input.service, kept);
  if (plan.prune.length > 0) {
    deps.log.info(
      { service: input.service, objects: plan.prune.map(describeRef) },
      "pruning objects removed from git",
    );
  }
  for (const phase of reverseApplyPhases(plan.prune))
    pruned.push(...(await deps.applyer.delete(phase, deps.signal ? { signal: deps.signal } : {})).objects);
  for (const object of pruned.filter((o) => o.action === "conflict")) {
    deps.log.warn(
      { service: input.service, object: describeRef(object), message: object.message },
      "object removed from git was kept: it was re-created since it was read",
    );
  }
  return { pruned, orphaned: [], kept };
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

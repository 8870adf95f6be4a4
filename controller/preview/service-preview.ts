import { type ObjectRef, refOf } from "../../kube/objects.js";
import type { ServiceConfig } from "../config/types.js";
import { planPrune } from "../prune/inventory.js";
import type { ObjectComparison, ServiceComparison } from "../report/diff/compare-service.js";
import { objectLabel } from "../report/diff/object-patch.js";
import type { ChangedObject, LeftObject, PreviewError, PreviewObject, ServicePreview } from "./types.js";

/** ServicePreviewInput is one service's comparison with the cluster and what it holds there now. */
export interface ServicePreviewInput {
  readonly service: ServiceConfig;
  readonly comparison: ServiceComparison;
  /** The service's inventory: every object it applied and has not pruned. */
  readonly inventory: readonly ObjectRef[];
  /** The file an inventory object came from when the service last applied it, if known. */
  readonly pathOf: (ref: ObjectRef) => string | undefined;
  /** The config's `prune`: off, objects that left git stay in the cluster. */
  readonly prune: boolean;
}

/**
 * servicePreview sorts a service's comparison into what merging would do: objects created and changed (with their
 * diffs), pruned (the inventory's objects the new set lacks, as a sync's prune plans them: never a Namespace, none
 * with prune off), unchanged, and every error a sync would meet, each naming its file. It lands when it has no error;
 * an object whose kind a CustomResourceDefinition of the same set defines is created, as a sync applies the CRD first.
 */
export function servicePreview(input: ServicePreviewInput): ServicePreview {
  const { service, comparison } = input;
  const base = { service: service.name, dir: service.dir };
  if (!comparison.compared) {
    const errors = comparison.failures.map(
      (failure): PreviewError => ({
        ...(failure.path ? { path: failure.path } : {}),
        ...(failure.code ? { code: failure.code } : {}),
        message: failure.error,
      }),
    );
    return { ...base, lands: false, created: [], changed: [], pruned: [], left: [], unchanged: 0, errors };
  }
  const created: ChangedObject[] = [];
  const changed: ChangedObject[] = [];
  const errors: PreviewError[] = [];
  let unchanged = 0;
  for (const result of comparison.results) {
    if (result.action === "failed" && result.crdInSet !== undefined) {
      const note = `not compared: its CustomResourceDefinition ${result.crdInSet} comes with the same set`;
      created.push({ ...objectOf(result), diff: "", note });
    } else if (result.action === "failed") {
      errors.push({ path: result.path, object: objectLabel(result), message: result.message ?? "refused" });
    } else if (result.differs && result.action === "created") {
      created.push(changedOf(result));
    } else if (result.differs) {
      changed.push(changedOf(result));
    } else unchanged++;
  }
  const { pruned, left } = leavingGit(input, comparison.objects.map(refOf));
  return { ...base, lands: errors.length === 0, created, changed, pruned, left, unchanged, errors };
}

function objectOf(ref: ObjectRef & { readonly path?: string }): PreviewObject {
  return {
    apiVersion: ref.apiVersion,
    kind: ref.kind,
    ...(ref.namespace ? { namespace: ref.namespace } : {}),
    name: ref.name,
    ...(ref.path && ref.path !== "?" ? { path: ref.path } : {}),
  };
}

function changedOf(result: ObjectComparison): ChangedObject {
  return {
    ...objectOf(result),
    diff: result.patch ?? "",
    ...(result.message ? { note: result.message } : {}),
  };
}

/** leavingGit is what a complete, healthy sync of the new set would prune, and what it would leave in the cluster. */
function leavingGit(
  input: ServicePreviewInput,
  desired: readonly ObjectRef[],
): { pruned: PreviewObject[]; left: LeftObject[] } {
  const plan = planPrune({
    service: input.service.name,
    previous: input.inventory,
    desired,
    applyComplete: true,
    listingComplete: true,
  });
  const withPath = (ref: ObjectRef) => {
    const path = input.pathOf(ref);
    return objectOf(path === undefined ? ref : { ...ref, path });
  };
  const never = plan.skipped.map((skip) => ({
    ...withPath(skip.ref),
    reason: "a Namespace is never pruned",
  }));
  if (!input.prune)
    return {
      pruned: [],
      left: [...plan.prune.map((ref) => ({ ...withPath(ref), reason: "prune is off" })), ...never],
    };
  return { pruned: plan.prune.map(withPath), left: never };
}

import type { ObjectApplyResult, ObjectDeleteResult } from "../../applyers/applyer.js";
import type { FileFailure } from "../desired/files.js";
import { type ObjectRef, refKey } from "../desired/render/types.js";
import type { RenderedSet } from "../desired/render-set.js";
import type { ObjectHealth } from "../health/health.js";
import { describeUnhealthy } from "../health/health-check.js";
import { attemptedState, landedState, withFailure } from "../record/next-state.js";
import type { SyncResult } from "../record/result.js";
import type { ObjectStatus, ServiceState } from "../record/state/state.js";
import { describeFailure, objectFailures } from "./describe-failure.js";
import { driftReport } from "./report-drift.js";
import { syncResultBase } from "./result-base.js";
import type { ServiceSyncDeps, ServiceSyncInput } from "./service-run.js";
import { sourcePaths } from "./source-paths.js";

/** AppliedSet is what one sync of a whole set did: what could not be used, applied, found unhealthy, pruned. */
export interface AppliedSet {
  readonly rendered: RenderedSet;
  readonly setFailures: readonly FileFailure[];
  readonly applied: readonly ObjectApplyResult[];
  readonly notLanded: readonly ObjectApplyResult[];
  readonly unhealthy: readonly ObjectHealth[];
  readonly applyComplete: boolean;
  readonly pruned: readonly ObjectDeleteResult[];
  readonly orphaned: readonly ObjectRef[];
  /** reconciling is a reconcile of an unchanged set: what the server changed was changed in the cluster. */
  readonly reconciling: boolean;
}

/**
 * setOutcome is the SyncResult and next state of one sync of a whole set. The commit is recorded only when every
 * object landed, every workload is healthy and prune succeeded; anything less is a failure with its error.
 */
export function setOutcome(
  input: ServiceSyncInput,
  set: AppliedSet,
  started: number,
  deps: ServiceSyncDeps,
): { result: SyncResult; state: ServiceState } {
  const { rendered, setFailures, applied, notLanded, unhealthy, pruned } = set;
  const pruneFailed = pruned.filter((object) => object.action === "failed");
  const complete = set.applyComplete && pruneFailed.length === 0;
  const pathOf = sourcePaths(rendered.objects);
  const failures = objectFailures(notLanded, unhealthy, pathOf);
  const objects = objectStatuses(applied, unhealthy, pathOf);
  const changed = input.files.files.filter((file) => file.changed).map((file) => file.path);
  const drift = set.reconciling ? driftReport("correct", applied, deps.clock) : undefined;
  const error = complete
    ? undefined
    : describeFailure(setFailures, notLanded, unhealthy, pruneFailed, failures);
  const result: SyncResult = {
    ...syncResultBase(input, started, deps),
    commit: input.commit,
    // A reconcile that found nothing to put back did nothing worth an audit entry or a notification.
    status: !complete ? "failed" : drift && drift.objects.length === 0 ? "unchanged" : "applied",
    files: {
      changed,
      applied: complete ? changed : [],
      failed: [...setFailures, ...failures],
      deleted: [...input.files.deleted],
    },
    objects: applied,
    pruned,
    unhealthy,
    orphaned: set.orphaned,
    ...(drift ? { drift } : {}),
    ...(rendered.bootstrap ? { bootstrap: rendered.bootstrap } : {}),
    ...(error ? { error } : {}),
  };
  const synced = complete
    ? landedState(input.state, {
        commit: input.commit,
        files: input.files.files,
        objects,
        pruned,
        now: deps.clock.now(),
        trigger: input.trigger,
        changed: [...changed, ...input.files.deleted],
      })
    : withFailure(attemptedState(input.state, applied, objects), result, deps);
  const extra = {
    ...(drift ? { drift } : {}),
    ...(rendered.bootstrap ? { bootstrap: rendered.bootstrap } : {}),
  };
  return { result, state: { ...synced, ...extra } };
}

function objectStatuses(
  applied: readonly ObjectApplyResult[],
  unhealthy: readonly ObjectHealth[],
  pathOf: (ref: ObjectRef) => string,
): ObjectStatus[] {
  const health = new Map(unhealthy.map((object) => [refKey(object), describeUnhealthy(object)]));
  return applied.map((object) => {
    const why = health.get(refKey(object));
    return { ...object, path: pathOf(object), ...(why ? { health: why } : {}) };
  });
}

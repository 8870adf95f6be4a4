import { landed, type ObjectApplyResult } from "../../applyers/applyer.js";
import type { Clock } from "../../common/clock.js";
import { describeRef, type KubeObject } from "../desired/render/types.js";
import type { SyncResult } from "../record/result.js";
import type { DriftReport, ServiceState } from "../record/state/state.js";
import { syncResultBase } from "./result-base.js";
import type { ServiceSyncDeps, ServiceSyncInput } from "./service-run.js";

/**
 * reportDrift is a reconcile with `drift: report`: a server-side dry-run apply of the set says which objects differ
 * from git or are gone, and they are recorded without being changed.
 */
export async function reportDrift(
  input: ServiceSyncInput,
  objects: readonly KubeObject[],
  started: number,
  deps: ServiceSyncDeps,
): Promise<{ result: SyncResult; state: ServiceState }> {
  if (!deps.dryRunApply)
    deps.log.warn({ service: input.service.name }, "drift: report needs the apiserver; drift not checked");
  const checked = deps.dryRunApply ? await deps.dryRunApply(objects) : [];
  for (const object of checked.filter((result) => !landed(result)))
    deps.log.warn(
      { service: input.service.name, object: describeRef(object), why: object.message },
      "drift check failed",
    );
  const drift = driftReport("report", checked, deps.clock);
  const result: SyncResult = {
    ...syncResultBase(input, started, deps),
    commit: input.commit,
    status: "unchanged",
    drift,
  };
  return { result, state: { ...input.state, drift } };
}

/** driftReport lists the objects a reconcile found different from git (`configured`) or gone (`created`). */
export function driftReport(
  mode: DriftReport["mode"],
  results: readonly ObjectApplyResult[],
  clock: Clock,
): DriftReport {
  return {
    checkedAt: new Date(clock.now()).toISOString(),
    mode,
    objects: results.flatMap((object) =>
      object.action === "created" || object.action === "configured"
        ? [
            {
              apiVersion: object.apiVersion,
              kind: object.kind,
              name: object.name,
              ...(object.namespace ? { namespace: object.namespace } : {}),
              action: object.action,
            },
          ]
        : [],
    ),
  };
}

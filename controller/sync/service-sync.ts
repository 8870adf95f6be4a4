import { landed } from "../../applyers/applyer.js";
import { refKey } from "../../kube/objects.js";
import { refOf } from "../desired/render/types.js";
import { renderDesiredSet } from "../desired/render-set.js";
import { removesItselfWhenFinished } from "../health/health.js";
import { checkHealth } from "../health/health-check.js";
import { pruneSet } from "../prune/prune-set.js";
import type { SyncResult } from "../record/result.js";
import type { ServiceState } from "../record/state/state.js";
import { ownedElsewhere } from "./owned-elsewhere.js";
import { reportDrift } from "./report-drift.js";
import type { ServiceSyncDeps, ServiceSyncInput } from "./service-run.js";
import { setOutcome } from "./set-outcome.js";

export type { ServiceSyncDeps, ServiceSyncInput } from "./service-run.js";

/**
 * syncService makes the cluster match a service's whole desired set at one commit: every file of its directory is
 * parsed and rendered together, the whole set is applied with server-side apply (the server says what is
 * unchanged), every workload of the set is checked for health, and objects that left git are pruned. The commit is
 * recorded only when every object landed, every workload is healthy and prune succeeded; anything less is a
 * failure of the service, recorded with its error and tried again.
 */
export async function syncService(
  input: ServiceSyncInput,
  deps: ServiceSyncDeps,
): Promise<{ result: SyncResult; state: ServiceState }> {
  const started = deps.clock.now();
  const rendered = await renderDesiredSet(input.files.files, input.service, {
    ...deps,
    commit: input.commit,
  });
  const setFailures = [
    ...rendered.failures,
    ...ownedElsewhere(input.service.name, rendered.objects, deps.ownerOf),
  ];
  const listingComplete = setFailures.length === 0;
  // A reconcile of an unchanged set: whatever the server changes now was changed in the cluster, not in git.
  const reconciling = input.trigger === "reconcile" && !input.files.changed && listingComplete;
  if (reconciling && input.service.drift === "report")
    return reportDrift(input, rendered.objects, started, deps);
  const abortable = deps.signal ? { signal: deps.signal } : {};
  const applied = listingComplete ? (await deps.applyer.apply(rendered.objects, abortable)).objects : [];
  const notLanded = applied.filter((object) => !landed(object));
  const removedWhenFinished = new Set(
    rendered.objects.filter(removesItselfWhenFinished).map((object) => refKey(refOf(object))),
  );
  const unhealthy =
    listingComplete && notLanded.length === 0
      ? await checkHealth(applied, { ...deps, removedWhenFinished })
      : [];
  const applyComplete = listingComplete && notLanded.length === 0 && unhealthy.length === 0;
  const { pruned, orphaned } = await pruneSet(
    {
      service: input.service.name,
      previous: input.state.inventory,
      desired: rendered.objects.map(refOf),
      listingComplete,
      applyComplete,
      prune: deps.prune,
      ...(input.remove ? { remove: input.remove } : {}),
    },
    // A deleted object may take as long to go (its finalizers) as a workload to roll out.
    { ...deps, goneTimeoutMs: deps.healthTimeoutMs },
  );
  const set = { rendered, setFailures, applied, notLanded, unhealthy, applyComplete, pruned, orphaned };
  return setOutcome(input, { ...set, reconciling }, started, deps);
}

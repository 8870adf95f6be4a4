import type { Logger } from "pino";
import {
  type Applyer,
  landed,
  type ObjectApplyResult,
  type ObjectDeleteResult,
} from "../../applyers/applyer.js";
import type { Clock } from "../../common/clock.js";
import type { RepoConfig, ServiceConfig } from "../config/types.js";
import type { ParseCache } from "../desired/desired-set.js";
import type { FileFailure } from "../desired/files.js";
import type { KustomizeOptions } from "../desired/kustomize/build.js";
import type { ReleaseProbe } from "../desired/release-probe.js";
import {
  describeRef,
  type KubeObject,
  type ObjectRef,
  refKey,
  refOf,
  SOURCE_PATH_ANNOTATION,
} from "../desired/render/types.js";
import { renderDesiredSet } from "../desired/render-set.js";
import type { ObjectHealth } from "../health/health.js";
import { checkHealth, describeUnhealthy } from "../health/health-check.js";
import { pruneSet } from "../prune/prune-set.js";
import { attemptedState, landedState, withFailure } from "../record/next-state.js";
import { resultBase, type SyncResult } from "../record/result.js";
import type { DriftReport, ObjectStatus, ServiceState, Trigger } from "../record/state/state.js";
import type { ServiceFiles } from "../source/source.js";

/** ServiceSyncDeps are the collaborators and settings shared by every service's sync. */
export interface ServiceSyncDeps {
  readonly applyer: Applyer;
  /**
   * readObject reads a live object, for the health check and before every prune; without it, health is not waited
   * for and nothing is pruned.
   */
  readonly readObject?: (ref: ObjectRef) => Promise<KubeObject | undefined>;
  readonly healthTimeoutMs: number;
  readonly prune: boolean;
  readonly namespaces?: readonly string[];
  readonly clusterKinds?: readonly string[];
  /** installNamespace is the controller's own namespace (see RenderSetOptions). */
  readonly installNamespace?: string;
  readonly downloadBaseUrl?: string;
  readonly dryRun: boolean;
  /** retryBaseMs is the first retry delay after a failure; it doubles with each failure, up to 10 minutes. */
  readonly retryBaseMs: number;
  readonly parseCache: ParseCache;
  /** kustomize is how a service whose directory holds a kustomization is built. */
  readonly kustomize?: KustomizeOptions;
  /**
   * dryRunApply is a server-side dry-run apply of a set, per object `created`, `configured` or `unchanged` as the
   * real apply would be: how `drift: report` finds drift without changing anything. Without it, report mode
   * reports nothing and says so in the log.
   */
  readonly dryRunApply?: (objects: readonly KubeObject[]) => Promise<readonly ObjectApplyResult[]>;
  readonly clock: Clock;
  readonly log: Logger;
  /**
   * signal aborts the sync before its next write: leadership was lost, or the process is shutting down. An aborted
   * sync rejects with the signal's reason and must not be recorded.
   */
  readonly signal?: AbortSignal;
  /**
   * ownerOf names the other service that already holds an object (in its inventory), and the file it came from:
   * an object belongs to one service, so a second one declaring it fails instead of applying over it.
   */
  readonly ownerOf?: (ref: ObjectRef) => { readonly service: string; readonly path?: string } | undefined;
  /** releaseProbe decides whether a `stateless: auto` service gets the bootstrap (see render-set.ts). */
  readonly releaseProbe?: ReleaseProbe;
}

/** ServiceSyncInput is one service's whole desired set at one commit, and what was deployed before. */
export interface ServiceSyncInput {
  readonly service: ServiceConfig;
  readonly repo: RepoConfig;
  readonly commit: string;
  readonly files: ServiceFiles;
  readonly state: ServiceState;
  readonly trigger: Trigger;
}

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
  const rendered = await renderDesiredSet(input.files.files, input.service, deps);
  const setFailures = [...rendered.failures, ...ownedElsewhere(input.service.name, rendered.objects, deps)];
  const listingComplete = setFailures.length === 0;
  // A reconcile of an unchanged set: whatever the server changes now was changed in the cluster, not in git.
  const reconciling = input.trigger === "reconcile" && !input.files.changed && listingComplete;
  if (reconciling && input.service.drift === "report")
    return reportDrift(input, rendered.objects, started, deps);
  const abortable = deps.signal ? { signal: deps.signal } : {};
  const applied = listingComplete ? (await deps.applyer.apply(rendered.objects, abortable)).objects : [];
  const notLanded = applied.filter((object) => !landed(object));
  const unhealthy = listingComplete && notLanded.length === 0 ? await checkHealth(applied, deps) : [];
  const applyComplete = listingComplete && notLanded.length === 0 && unhealthy.length === 0;
  const { pruned, orphaned } = await pruneSet(
    {
      service: input.service.name,
      previous: input.state.inventory,
      desired: rendered.objects.map(refOf),
      listingComplete,
      applyComplete,
      prune: deps.prune,
    },
    deps,
  );
  const pruneFailed = pruned.filter((object) => object.action === "failed");
  const complete = applyComplete && pruneFailed.length === 0;
  const pathOf = sourcePaths(rendered.objects);
  const objectFailures = [
    ...notLanded.map((object) => ({
      path: pathOf(object),
      error: `${describeRef(object)}${object.action === "skipped" ? " skipped" : ""}: ${object.message ?? object.action}`,
    })),
    ...unhealthy.map((health) => ({ path: pathOf(health), error: describeUnhealthy(health) })),
  ];
  const objects = objectStatuses(applied, unhealthy, pathOf);
  const changed = input.files.files.filter((file) => file.changed).map((file) => file.path);
  const drift = reconciling ? driftReport("correct", applied, deps) : undefined;
  const error = complete
    ? undefined
    : describeFailure(setFailures, notLanded, unhealthy, pruneFailed, objectFailures);
  const result: SyncResult = {
    ...resultBase(baseOf(input, started, deps)),
    commit: input.commit,
    // A reconcile that found nothing to put back did nothing worth an audit entry or a notification.
    status: !complete ? "failed" : drift && drift.objects.length === 0 ? "unchanged" : "applied",
    files: {
      changed,
      applied: complete ? changed : [],
      failed: [...setFailures, ...objectFailures],
      deleted: [...input.files.deleted],
    },
    objects: applied,
    pruned,
    unhealthy,
    orphaned,
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
      })
    : withFailure(attemptedState(input.state, applied, objects), result, deps);
  return {
    result,
    state: {
      ...synced,
      ...(drift ? { drift } : {}),
      ...(rendered.bootstrap ? { bootstrap: rendered.bootstrap } : {}),
    },
  };
}

/**
 * reportDrift is a reconcile with `drift: report`: a server-side dry-run apply of the set says which objects differ
 * from git or are gone, and they are recorded without being changed.
 */
async function reportDrift(
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
  const drift = driftReport("report", checked, deps);
  const result: SyncResult = {
    ...resultBase(baseOf(input, started, deps)),
    commit: input.commit,
    status: "unchanged",
    drift,
  };
  return { result, state: { ...input.state, drift } };
}

function baseOf(input: ServiceSyncInput, started: number, deps: ServiceSyncDeps) {
  return {
    service: input.service.name,
    repo: input.repo,
    trigger: input.trigger,
    dryRun: deps.dryRun,
    started,
    now: deps.clock.now(),
  };
}

/** driftReport lists the objects a reconcile found different from git (`configured`) or gone (`created`). */
function driftReport(
  mode: DriftReport["mode"],
  results: readonly ObjectApplyResult[],
  deps: Pick<ServiceSyncDeps, "clock">,
): DriftReport {
  return {
    checkedAt: new Date(deps.clock.now()).toISOString(),
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

/** sourcePaths says which file of git an object (or a workload's health) came from. */
function sourcePaths(objects: readonly KubeObject[]): (ref: ObjectRef) => string {
  const paths = new Map(
    objects.map((object) => [
      refKey(refOf(object)),
      object.metadata.annotations?.[SOURCE_PATH_ANNOTATION] ?? "?",
    ]),
  );
  return (ref) => paths.get(refKey(ref)) ?? "?";
}

/**
 * ownedElsewhere refuses the objects another service already holds, naming it and both files: applied over, the
 * object would change under its owner, and pruned by this service, it would vanish while its owner says deployed.
 */
function ownedElsewhere(
  service: string,
  objects: readonly KubeObject[],
  deps: ServiceSyncDeps,
): FileFailure[] {
  if (!deps.ownerOf) return [];
  const pathOf = sourcePaths(objects);
  return objects.flatMap((object) => {
    const ref = refOf(object);
    const owner = deps.ownerOf?.(ref);
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

/**
 * describeFailure is the service's error: every file that could not be used, every object that did not land, every
 * unhealthy workload and every failed prune, each named. The code says what kind of failure came first.
 */
function describeFailure(
  setFailures: readonly FileFailure[],
  notLanded: readonly ObjectApplyResult[],
  unhealthy: readonly ObjectHealth[],
  pruneFailed: readonly ObjectDeleteResult[],
  objectFailures: readonly FileFailure[],
): { code: string; message: string } {
  const parts = [
    ...[...setFailures, ...objectFailures].map((failure) => `${failure.path}: ${failure.error}`),
    ...pruneFailed.map((object) => `prune ${describeRef(object)}: ${object.message ?? "failed"}`),
  ];
  const code =
    setFailures.find((failure) => failure.code)?.code ??
    (setFailures.length > 0
      ? "E_MANIFEST_INVALID"
      : notLanded.length > 0
        ? "E_APPLY"
        : unhealthy.length > 0
          ? "E_UNHEALTHY"
          : "E_PRUNE");
  return { code, message: parts.join("; ") };
}

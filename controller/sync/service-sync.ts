import type { Logger } from "pino";
import type { Applyer, ObjectApplyResult, ObjectDeleteResult } from "../../applyers/applyer.js";
import { type Clock, type ObjectHealth, waitForHealthy } from "../../applyers/health.js";
import { nextInventory, planPrune } from "../../applyers/inventory.js";
import { GitOpsError } from "../../kube/errors.js";
import type { RepoConfig, ServiceConfig } from "../config/types.js";
import { renderService } from "../render/render.js";
import { type KubeObject, type ObjectRef, refKey, refOf, SOURCE_PATH_ANNOTATION } from "../render/types.js";
import type { ServiceFiles } from "../source/source.js";
import type { ServiceState, Trigger } from "../state/state.js";
import { CONFIG_OBJECTS_KEY, type FilePlan, planFiles } from "./plan-files.js";
import type { FileFailure, SyncResult } from "./result.js";

/** ServiceSyncDeps are the collaborators and settings shared by every service's sync. */
export interface ServiceSyncDeps {
  readonly applyer: Applyer;
  /** readObject reads a live object for the health wait; without it, health is not waited for. */
  readonly readObject?: (ref: ObjectRef) => Promise<KubeObject | undefined>;
  readonly healthTimeoutMs: number;
  readonly prune: boolean;
  readonly namespaces?: readonly string[];
  readonly downloadBaseUrl?: string;
  readonly dryRun: boolean;
  /** retryBaseMs is the first retry delay after a failure; it doubles with each failure, up to 10 minutes. */
  readonly retryBaseMs: number;
  readonly clock: Clock;
  readonly log: Logger;
}

/** ServiceSyncInput is one service at one commit, as the source reported it, and what was deployed before. */
export interface ServiceSyncInput {
  readonly service: ServiceConfig;
  readonly repo: RepoConfig;
  readonly commit: string;
  readonly files: ServiceFiles;
  readonly state: ServiceState;
  readonly trigger: Trigger;
}

const MAX_BACKOFF_MS = 10 * 60_000;

/** repoLabel is `owner/name@branch`, how logs, results and the status API name a watched branch. */
export function repoLabel(repo: RepoConfig): string {
  return `${repo.owner}/${repo.name}@${repo.branch}`;
}

/**
 * syncService applies what changed in one service and returns the SyncResult and the state to record. A file's SHA
 * is recorded only when every object of it applied (and became healthy, when waited for); the commit only when
 * every file did and prune succeeded. Prune runs only after a complete, successful apply.
 */
export async function syncService(
  input: ServiceSyncInput,
  deps: ServiceSyncDeps,
): Promise<{ result: SyncResult; state: ServiceState }> {
  const started = deps.clock.now();
  const plan = planFiles(input.files, input.state);
  const failed: FileFailure[] = [...plan.unparsable];
  let rendered: KubeObject[] = [];
  try {
    rendered = render(input, plan, deps);
  } catch (error: unknown) {
    // A render error (a duplicate object, a namespace outside the allowlist) refuses the whole changed set.
    const message = (error as Error).message;
    for (const path of plan.changed.keys()) failed.push({ path, error: message });
    if (plan.configFiles) failed.push({ path: CONFIG_OBJECTS_KEY, error: message });
  }
  const applied = rendered.length > 0 ? (await deps.applyer.apply(rendered)).objects : [];
  const pathOf = new Map(rendered.map((object) => [refKey(refOf(object)), sourceKey(object, plan)]));
  for (const object of applied) {
    if (object.action === "failed")
      failed.push({ path: pathOf.get(refKey(object)) ?? "?", error: object.message ?? "failed" });
  }
  const unhealthy = await waitForHealth(applied, deps);
  for (const health of unhealthy) {
    failed.push({
      path: pathOf.get(refKey(health)) ?? "?",
      error: `${health.kind} ${health.name}: ${health.message}`,
    });
  }
  const failedPaths = new Set(failed.map((failure) => failure.path));
  const pruned = failedPaths.size === 0 ? await prune(input, plan, rendered, deps) : [];
  const pruneFailed = pruned.filter((object) => object.action === "failed");
  const complete = failedPaths.size === 0 && pruneFailed.length === 0;
  const state = nextState(input, plan, rendered, applied, pruned, failedPaths, complete, deps);
  const error = complete ? undefined : describeFailure(failed, pruneFailed);
  const result: SyncResult = {
    service: input.service.name,
    repoKey: input.repo.key,
    repo: repoLabel(input.repo),
    commit: input.commit,
    trigger: input.trigger,
    dryRun: deps.dryRun,
    status: !complete ? "failed" : applied.length > 0 || pruned.length > 0 ? "applied" : "unchanged",
    startedAt: new Date(started).toISOString(),
    durationMs: deps.clock.now() - started,
    files: {
      applied: [
        ...[...plan.changed.keys()].filter((path) => !failedPaths.has(path)),
        ...(failedPaths.has(CONFIG_OBJECTS_KEY) ? [] : plan.configShas.keys()),
      ],
      failed,
      deleted: [...plan.deleted],
      skipped: plan.skipped.map((file) => file.path),
    },
    objects: applied,
    pruned,
    unhealthy,
    warnings: input.files.warnings,
    ...(error ? { error } : {}),
  };
  return { result, state: complete ? state : withFailure(state, result, deps) };
}

/** sourceKey says which state entry an object belongs to: its changed file, or the service configuration. */
function sourceKey(object: KubeObject, plan: FilePlan): string {
  const path = object.metadata.annotations?.[SOURCE_PATH_ANNOTATION] ?? "";
  return plan.changed.has(path) ? path : CONFIG_OBJECTS_KEY;
}

function render(input: ServiceSyncInput, plan: FilePlan, deps: ServiceSyncDeps): KubeObject[] {
  const objects = [...plan.changed.values()].flatMap((file) => file.objects);
  if (objects.length === 0 && plan.configFiles === undefined) return [];
  return renderService({
    service: input.service.name,
    objects,
    configFiles: plan.configFiles ?? [],
    defaultNamespace: input.service.namespace ?? "default",
    stateless: input.service.stateless,
    ...(deps.downloadBaseUrl ? { downloadBaseUrl: deps.downloadBaseUrl } : {}),
    ...(deps.namespaces ? { policy: { namespaces: deps.namespaces } } : {}),
  });
}

async function waitForHealth(
  applied: readonly ObjectApplyResult[],
  deps: ServiceSyncDeps,
): Promise<ObjectHealth[]> {
  if (!deps.readObject || deps.dryRun || deps.healthTimeoutMs <= 0) return [];
  const refs = applied.filter((object) => object.action === "created" || object.action === "configured");
  if (refs.length === 0) return [];
  const health = await waitForHealthy({
    refs,
    read: deps.readObject,
    timeoutMs: deps.healthTimeoutMs,
    clock: deps.clock,
  });
  return health.objects.filter((object) => object.status !== "ready");
}

/** desiredRefs is every object the service's directory renders to now: kept files' objects plus the new render. */
function desiredRefs(input: ServiceSyncInput, plan: FilePlan, rendered: readonly KubeObject[]): ObjectRef[] {
  const replaced = new Set([...plan.changed.keys(), ...plan.deleted, ...plan.configShas.keys()]);
  const kept = Object.entries(input.state.objects)
    .filter(
      ([path]) => !replaced.has(path) && !(path === CONFIG_OBJECTS_KEY && plan.configFiles !== undefined),
    )
    .flatMap(([, refs]) => refs);
  return [...kept, ...rendered.map(refOf)];
}

async function prune(
  input: ServiceSyncInput,
  plan: FilePlan,
  rendered: readonly KubeObject[],
  deps: ServiceSyncDeps,
): Promise<ObjectDeleteResult[]> {
  if (!deps.prune) return [];
  const pruning = planPrune({
    previous: input.state.inventory,
    desired: desiredRefs(input, plan, rendered),
    applyComplete: true,
    listingComplete: input.files.ok,
  });
  if (pruning.prune.length === 0) return [];
  deps.log.info(
    { service: input.service.name, objects: pruning.prune.map(refKey) },
    "pruning objects removed from git",
  );
  return (await deps.applyer.delete(pruning.prune)).objects;
}

function nextState(
  input: ServiceSyncInput,
  plan: FilePlan,
  rendered: readonly KubeObject[],
  applied: readonly ObjectApplyResult[],
  pruned: readonly ObjectDeleteResult[],
  failedPaths: ReadonlySet<string>,
  complete: boolean,
  deps: ServiceSyncDeps,
): ServiceState {
  const files = { ...input.state.files };
  const objects: Record<string, readonly ObjectRef[]> = { ...input.state.objects };
  for (const path of plan.deleted) {
    delete files[path];
    delete objects[path];
  }
  const refsByPath = new Map<string, ObjectRef[]>();
  for (const object of rendered) {
    const key = sourceKey(object, plan);
    refsByPath.set(key, [...(refsByPath.get(key) ?? []), refOf(object)]);
  }
  for (const [path, file] of plan.changed) {
    if (failedPaths.has(path)) continue;
    files[path] = file.sha;
    objects[path] = refsByPath.get(path) ?? [];
  }
  let configFiles = input.state.configFiles;
  if (plan.configFiles && !failedPaths.has(CONFIG_OBJECTS_KEY)) {
    configFiles = Object.fromEntries(plan.configFiles.map((file) => [file.path, file.text]));
    for (const path of Object.keys(input.state.configFiles)) if (!(path in configFiles)) delete files[path];
    for (const [path, sha] of plan.configShas) files[path] = sha;
    objects[CONFIG_OBJECTS_KEY] = refsByPath.get(CONFIG_OBJECTS_KEY) ?? [];
  }
  for (const file of plan.skipped) files[file.path] = file.sha;
  const nowIso = new Date(deps.clock.now()).toISOString();
  const deployed = applied.some((object) => object.action !== "failed") || pruned.length > 0;
  return {
    ...input.state,
    files,
    objects,
    configFiles,
    inventory: nextInventory({ previous: input.state.inventory, applied, deleted: pruned }),
    ...(complete ? { commit: input.commit, failures: 0 } : {}),
    ...(complete && deployed ? { lastDeployTime: nowIso } : {}),
    ...(complete ? { lastError: undefined, retryAfter: undefined } : {}),
  };
}

function describeFailure(failed: readonly FileFailure[], pruneFailed: readonly ObjectDeleteResult[]) {
  const parts = [
    ...failed.map((failure) => `${failure.path}: ${failure.error}`),
    ...pruneFailed.map((object) => `prune ${object.kind} ${object.name}: ${object.message ?? "failed"}`),
  ];
  return { code: failed.length > 0 ? "E_APPLY" : "E_PRUNE", message: parts.join("; ") };
}

/** withFailure records a failed sync: the error, and when to try again (exponential backoff, capped). */
export function withFailure(
  state: ServiceState,
  result: Pick<SyncResult, "error" | "commit">,
  deps: { clock: Clock; retryBaseMs: number },
): ServiceState {
  const failures = state.failures + 1;
  const delay = Math.min(deps.retryBaseMs * 2 ** (failures - 1), MAX_BACKOFF_MS);
  const now = deps.clock.now();
  return {
    ...state,
    failures,
    retryAfter: new Date(now + delay).toISOString(),
    lastError: {
      code: result.error?.code ?? "E_SYNC",
      message: result.error?.message ?? "sync failed",
      at: new Date(now).toISOString(),
      ...(result.commit ? { commit: result.commit } : {}),
    },
  };
}

/** errorCode reads the stable code of a project error, or a generic one for anything else. */
export function errorCode(error: unknown): string {
  return error instanceof GitOpsError ? error.code : "E_INTERNAL";
}

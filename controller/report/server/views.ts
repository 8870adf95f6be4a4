import type { Config, RepoConfig, ServiceConfig } from "../../config/types.js";
import { type ObjectRef, refKey } from "../../desired/render/types.js";
import type { AuditEvent, ControllerState, ServiceState } from "../../record/state/state.js";
import { dependencyHolds, type WaitingOn } from "../../record/waiting-on.js";
import { type RollbackView, rollbackView, type SuspensionView, suspensionView } from "./control-views.js";

/** RepoView is one entry of `/v1/gitops/repos`, in exactly the seed's field names and formats. */
export interface RepoView {
  readonly repo: string;
  readonly url: string;
  readonly branch: string;
  /** When `last_commit_id` fully landed, ISO 8601 to the second, or "" before that (the seed: 若无则为空). */
  readonly last_deploy_time: string;
  /** The newest commit at which every service of the repository landed whole and healthy, or "". */
  readonly last_commit_id: string;
  readonly services: readonly string[];
  readonly service_count: number;
  /** Present only while GitHub asks the repository to wait (a rate limit): why, since and until when. */
  readonly waiting?: { code: string; message: string; since: string; until: string };
}

/**
 * ServiceHealth is the one-word state the status API and page show for a service; `rolled_back` is a service the
 * controller put back on its last landed set after a newer commit failed (`on_failure: rollback`).
 */
export type ServiceHealth = "deployed" | "failed" | "pending" | "rolled_back";

/** ServiceView is one entry of `/v1/gitops/services`: what is deployed for a service and how its last sync went. */
export interface ServiceView {
  readonly name: string;
  readonly repo: string;
  readonly repo_key: string;
  readonly branch: string;
  readonly dir: string;
  readonly state: ServiceHealth;
  readonly last_commit_id: string;
  readonly last_deploy_time: string;
  readonly last_error: { message: string; code: string; at: string; commit: string } | null;
  readonly failures: number;
  readonly retry_after: string;
  readonly last_result: AuditEvent | null;
  readonly files: readonly { path: string; sha: string }[];
  readonly objects: readonly ObjectView[];
  /**
   * drift is the last reconcile's check: when, in which mode, and each object found different from git
   * (`configured`) or missing (`created`), put back when the mode is `correct`; null before the first reconcile.
   */
  /**
   * stateless says whether the last render gave the service's pod templates the stateless bootstrap (`bootstrap`)
   * and why (`reason`: configured, or what `stateless: auto` found); null before the first render.
   */
  readonly stateless: { readonly bootstrap: boolean; readonly reason: string } | null;
  /** suspended says who holds the service where it is, since when, why and at which commit; null otherwise. */
  readonly suspended: SuspensionView | null;
  /** rolled_back is the last rollback to an earlier landed set, until a newer set lands; null otherwise. */
  readonly rolled_back: RollbackView | null;
  /**
   * waiting_on names each dependency (`depends_on`) that holds the service's next commit back, and why: it has not
   * landed, it failed, or it was rolled back; empty when none does.
   */
  readonly waiting_on: readonly WaitingOn[];
  /** shard is the controller (pod) that owns the service when `sharding` shares the services out; null otherwise. */
  readonly shard: string | null;
  readonly drift: {
    readonly checked_at: string;
    readonly mode: "correct" | "report";
    readonly action: "corrected" | "reported";
    readonly objects: readonly {
      apiVersion: string;
      kind: string;
      namespace: string;
      name: string;
      action: string;
    }[];
  } | null;
}

/**
 * ObjectView is one object of a service: what its last sync did to it (`created`, `configured`, `unchanged`,
 * `failed`, `skipped`), or `orphaned` for an object simple-gitops applied that is no longer in git and was not
 * pruned; `message` says why for failed and skipped ones, `health` why a workload is not healthy, `taken_over`
 * which fields were taken from other field managers.
 */
export interface ObjectView {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly action: string;
  readonly message?: string;
  readonly health?: string;
  readonly taken_over?: readonly { manager: string; fields: readonly string[] }[];
}

/** isoSeconds formats a time as the seed does (`2025-09-01T11:45:02Z`); "" for missing or unparsable input. */
export function isoSeconds(time: Date | string | undefined): string {
  if (time === undefined || time === "") return "";
  const date = typeof time === "string" ? new Date(time) : time;
  if (Number.isNaN(date.getTime())) return "";
  return `${date.toISOString().slice(0, 19)}Z`;
}

function repoName(repo: RepoConfig): string {
  return `${repo.owner}/${repo.name}`;
}

/** repoViews builds the `/v1/gitops/repos` entries from the config and the live state. */
export function repoViews(config: Config, state: ControllerState): RepoView[] {
  return config.repos.map((repo) => {
    const services = config.services.filter((s) => s.repoKey === repo.key).map((s) => s.name);
    const landed = state.repos[repo.key];
    const waiting = state.waiting?.[repo.key];
    return {
      repo: repoName(repo),
      url: repo.htmlUrl,
      branch: repo.branch,
      last_deploy_time: isoSeconds(landed?.time),
      last_commit_id: landed?.commit ?? "",
      services,
      service_count: services.length,
      ...(waiting ? { waiting: { ...waiting, until: waiting.until ?? "" } } : {}),
    };
  });
}

/**
 * serviceHealth is "failed" while a last error stands, "rolled_back" while a commit the controller rolled back is
 * held, "deployed" once a commit is recorded, else "pending".
 */
export function serviceHealth(state: ServiceState | undefined): ServiceHealth {
  if (state?.lastError) return "failed";
  if (state?.rolledBack?.failedCommit) return "rolled_back";
  return state?.commit ? "deployed" : "pending";
}

/**
 * ShardsView is how the controllers share the services out, as this one last read the member Leases: who it is, the
 * live members with their service counts and last renewals, and each service's owner.
 */
export interface ShardsView {
  readonly identity: string;
  readonly members: readonly {
    readonly member: string;
    readonly services: number;
    readonly renewTime?: string;
  }[];
  readonly owners: ReadonlyMap<string, string>;
}

/** serviceView builds one service's entry from its config, its repo and the live state (and owner, when sharded). */
export function serviceView(
  config: Config,
  service: ServiceConfig,
  state: ControllerState,
  shards?: ShardsView,
): ServiceView {
  const repo = config.repos.find((r) => r.key === service.repoKey);
  const current = state.services[service.name];
  const lastResult = state.events.findLast((e) => e.service === service.name) ?? null;
  const error = current?.lastError;
  return {
    name: service.name,
    repo: repo ? repoName(repo) : "",
    repo_key: service.repoKey,
    branch: repo?.branch ?? "",
    dir: service.dir,
    state: serviceHealth(current),
    last_commit_id: current?.commit ?? "",
    last_deploy_time: isoSeconds(current?.lastDeployTime),
    last_error: error
      ? { message: error.message, code: error.code, at: error.at, commit: error.commit ?? "" }
      : null,
    failures: current?.failures ?? 0,
    retry_after: current?.retryAfter ?? "",
    last_result: lastResult,
    files: Object.entries(current?.files ?? {})
      .map(([path, sha]) => ({ path, sha }))
      .sort((a, b) => a.path.localeCompare(b.path)),
    objects: objectViews(current),
    stateless: current?.bootstrap
      ? { bootstrap: current.bootstrap.bootstrap, reason: current.bootstrap.reason }
      : null,
    suspended: current?.suspended ? suspensionView(current.suspended) : null,
    rolled_back: current?.rolledBack ? rollbackView(current.rolledBack) : null,
    waiting_on: dependencyHolds(service, state.services),
    shard: shards ? (shards.owners.get(service.name) ?? "") : null,
    drift: current?.drift
      ? {
          checked_at: current.drift.checkedAt,
          mode: current.drift.mode,
          action: current.drift.mode === "correct" ? "corrected" : "reported",
          objects: current.drift.objects.map((o) => ({
            apiVersion: o.apiVersion,
            kind: o.kind,
            namespace: o.namespace ?? "",
            name: o.name,
            action: o.action,
          })),
        }
      : null,
  };
}

/** objectViews lists the last sync's objects with their actions, then inventory objects no longer in git. */
function objectViews(state: ServiceState | undefined): ObjectView[] {
  if (!state) return [];
  const ref = (o: ObjectRef) => ({
    apiVersion: o.apiVersion,
    kind: o.kind,
    namespace: o.namespace ?? "",
    name: o.name,
  });
  const synced = new Set(state.objects.map(refKey));
  return [
    ...state.objects.map((o) => ({
      ...ref(o),
      action: o.action,
      ...(o.message ? { message: o.message } : {}),
      ...(o.health ? { health: o.health } : {}),
      ...(o.takenOver ? { taken_over: o.takenOver } : {}),
    })),
    ...state.inventory.filter((o) => !synced.has(refKey(o))).map((o) => ({ ...ref(o), action: "orphaned" })),
  ];
}

/** recentEvents is the newest `limit` audit events, newest first, optionally only one service's. */
export function recentEvents(state: ControllerState, limit: number, service?: string): AuditEvent[] {
  const events = service ? state.events.filter((e) => e.service === service) : state.events;
  return events.slice(-limit).reverse();
}

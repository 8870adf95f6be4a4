import type { Config, RepoConfig, ServiceConfig } from "../config/types.js";
import type { AuditEvent, ControllerState, ServiceState } from "../state/state.js";

/** RepoView is one entry of `/v1/gitops/repos`, in exactly the seed's field names and formats. */
export interface RepoView {
  readonly repo: string;
  readonly url: string;
  readonly branch: string;
  /** ISO 8601 to the second, or "" when no service of the repo was ever deployed (the seed: 若无则为空). */
  readonly last_deploy_time: string;
  readonly last_commit_id: string;
  readonly services: readonly string[];
  readonly service_count: number;
}

/** ServiceHealth is the one-word state the status API and page show for a service. */
export type ServiceHealth = "deployed" | "failed" | "pending";

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
  readonly objects: readonly { apiVersion: string; kind: string; namespace: string; name: string }[];
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

/** newestDeploy picks, among services' states, the one deployed last; ties keep the first in config order. */
function newestDeploy(states: readonly (ServiceState | undefined)[]): ServiceState | undefined {
  let newest: ServiceState | undefined;
  for (const state of states) {
    if (!state?.lastDeployTime) continue;
    if (!newest?.lastDeployTime || Date.parse(state.lastDeployTime) > Date.parse(newest.lastDeployTime)) {
      newest = state;
    }
  }
  return newest;
}

/** repoViews builds the `/v1/gitops/repos` entries from the config and the live state. */
export function repoViews(config: Config, state: ControllerState): RepoView[] {
  return config.repos.map((repo) => {
    const services = config.services.filter((s) => s.repoKey === repo.key).map((s) => s.name);
    const newest = newestDeploy(services.map((name) => state.services[name]));
    return {
      repo: repoName(repo),
      url: repo.htmlUrl,
      branch: repo.branch,
      last_deploy_time: isoSeconds(newest?.lastDeployTime),
      last_commit_id: newest?.commit ?? "",
      services,
      service_count: services.length,
    };
  });
}

/** serviceHealth is "failed" while a last error stands, "deployed" once a commit is recorded, else "pending". */
export function serviceHealth(state: ServiceState | undefined): ServiceHealth {
  if (state?.lastError) return "failed";
  return state?.commit ? "deployed" : "pending";
}

/** serviceView builds one service's entry from its config, its repo and the live state. */
export function serviceView(config: Config, service: ServiceConfig, state: ControllerState): ServiceView {
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
    objects: (current?.inventory ?? []).map((o) => ({
      apiVersion: o.apiVersion,
      kind: o.kind,
      namespace: o.namespace ?? "",
      name: o.name,
    })),
  };
}

/** recentEvents is the newest `limit` audit events, newest first, optionally only one service's. */
export function recentEvents(state: ControllerState, limit: number, service?: string): AuditEvent[] {
  const events = service ? state.events.filter((e) => e.service === service) : state.events;
  return events.slice(-limit).reverse();
}

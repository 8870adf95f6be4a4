import type { Config } from "../config/types.js";
import type { SyncResult } from "./result.js";
import { type AuditEvent, type ControllerState, type ServiceState, withEvents } from "./state/state.js";

/**
 * withResult lays one service's sync over a state: its new service state, the audit events of the result, and the
 * repository's commit when every one of its services landed there. The suspension is the state's, not the sync's:
 * a person may suspend or resume a service while it syncs; only a rollback's result sets it.
 */
export function withResult(
  base: ControllerState,
  record: { result: SyncResult; serviceState: ServiceState; events: readonly AuditEvent[] },
  config: Pick<Config, "services">,
  now: number,
): ControllerState {
  const { result, events } = record;
  const { suspended: _synced, ...synced } = record.serviceState;
  const suspended = result.suspended ?? base.services[result.service]?.suspended;
  const serviceState: ServiceState = suspended ? { ...synced, suspended } : synced;
  return withRepoCommit(
    withEvents({ ...base, services: { ...base.services, [result.service]: serviceState } }, events),
    result,
    config,
    now,
  );
}

/**
 * withRepoCommit moves a repository's recorded commit once every one of its services has landed at the result's
 * commit: `/v1/gitops/repos` never names a commit that some service of the repository did not fully apply.
 */
function withRepoCommit(
  state: ControllerState,
  result: Pick<SyncResult, "repoKey" | "commit">,
  config: Pick<Config, "services">,
  now: number,
): ControllerState {
  const { commit, repoKey } = result;
  if (commit === undefined || state.repos[repoKey]?.commit === commit) return state;
  const services = config.services.filter((service) => service.repoKey === repoKey);
  if (!services.every((service) => state.services[service.name]?.commit === commit)) return state;
  return { ...state, repos: { ...state.repos, [repoKey]: { commit, time: new Date(now).toISOString() } } };
}

import type { Config, ServiceConfig } from "../config/types.js";
import type { SyncResult } from "./result.js";
import { type AuditEvent, type ControllerState, type ServiceState, withEvents } from "./state/state.js";

/** ServicesWrite sets one service's record in a state's services and returns the services that hold it. */
export type ServicesWrite = (
  services: Readonly<Record<string, ServiceState>>,
  name: string,
  record: ServiceState,
) => Readonly<Record<string, ServiceState>>;

/** copyServices writes into a copy of the services: the state laid over stays as it was. */
export const copyServices: ServicesWrite = (services, name, record) => ({ ...services, [name]: record });

/**
 * ServicesJournal lists, in the order written, the names servicesInPlace set in one services map of its own, so that
 * a reader following that map (ownerLookup) reads what changed since its last look instead of walking every service
 * after every result (O(services²) over a first sync, issue 32). `names` only grows; a reader keeps its own cursor.
 */
export interface ServicesJournal {
  readonly names: readonly string[];
}

// Keyed by the map, so a map a state replaced (and its journal) goes with the last state that holds it.
const journals = new WeakMap<object, ServicesJournal>();

/**
 * servicesJournal is the live journal of a services map servicesInPlace writes, or undefined for any other map (a
 * copy, a loaded or merged state's), which nobody changes once a state holds it. A reader whose journal is not this
 * one (the map is new, or its journal was started again) walks the map once.
 */
export function servicesJournal(services: object): ServicesJournal | undefined {
  return journals.get(services);
}

/**
 * servicesInPlace writes into one services map of its own, which it copies once from the first state it is given
 * and again only when a state that replaced it comes in (a load, a merge, a suspension). A copy of every service for
 * every result was the largest allocation of a first sync at scale (430 KB a result at 1 000 services, 40 % of all
 * the bytes allocated, issue 32); now a result costs a property write. A state's services may therefore change
 * after it was read: whoever keeps them across a wait keeps its own copy of what it needs (the store's save in
 * save-record.ts, a repository's run in repo-sync.ts); records themselves are never edited, only replaced.
 *
 * Each name written goes into the map's journal (see servicesJournal). The journal never holds more names than the
 * map holds services: once it would, it starts again empty, and a reader still on the old one walks the map once,
 * which costs no more than reading the old one would have. So a controller running for months keeps at most one
 * name per service, and a reader's work stays proportional to the results recorded.
 */
export function servicesInPlace(): ServicesWrite {
  let own: Record<string, ServiceState> | undefined;
  let names: string[] = [];
  let size = 0;
  const startJournal = (services: object) => {
    names = [];
    journals.set(services, { names });
  };
  return (services, name, record) => {
    if (services !== own) {
      own = { ...services };
      size = Object.keys(own).length;
      startJournal(own);
    }
    if (!Object.hasOwn(own, name)) size += 1;
    if (names.length >= size) startJournal(own);
    own[name] = record;
    names.push(name);
    return own;
  };
}

/**
 * withResult lays one service's sync over a state: its new service state, the audit events of the result, and the
 * repository's commit when every one of its services landed there. The suspension is the state's, not the sync's:
 * a person may suspend or resume a service while it syncs; only a rollback's result sets it. `write` sets the
 * service's record: into a copy unless told otherwise (see servicesInPlace).
 */
export function withResult(
  base: ControllerState,
  record: { result: SyncResult; serviceState: ServiceState; events: readonly AuditEvent[] },
  config: Pick<Config, "services">,
  now: number,
  write: ServicesWrite = copyServices,
): ControllerState {
  const { result, events } = record;
  const { suspended: _synced, ...synced } = record.serviceState;
  const suspended = result.suspended ?? base.services[result.service]?.suspended;
  const serviceState: ServiceState = suspended ? { ...synced, suspended } : synced;
  return withRepoCommit(
    withEvents({ ...base, services: write(base.services, result.service, serviceState) }, events),
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
  const services = servicesByRepo(config.services).get(repoKey) ?? [];
  if (!services.every((service) => state.services[service.name]?.commit === commit)) return state;
  return { ...state, repos: { ...state.repos, [repoKey]: { commit, time: new Date(now).toISOString() } } };
}

// Grouped once per config: filtering every service for each result's repository cost O(services) a result.
const grouped = new WeakMap<readonly ServiceConfig[], ReadonlyMap<string, readonly ServiceConfig[]>>();

function servicesByRepo(services: readonly ServiceConfig[]): ReadonlyMap<string, readonly ServiceConfig[]> {
  let byRepo = grouped.get(services);
  if (!byRepo) {
    const groups = new Map<string, ServiceConfig[]>();
    for (const service of services) {
      const group = groups.get(service.repoKey);
      if (group) group.push(service);
      else groups.set(service.repoKey, [service]);
    }
    byRepo = groups;
    grouped.set(services, byRepo);
  }
  return byRepo;
}

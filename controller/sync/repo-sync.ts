import { GitOpsError } from "../../kube/errors.js";
import type { RepoConfig, ServiceConfig } from "../config/types.js";
import type { KnownState, PollResult, ServiceFiles, Source } from "../source/source.js";
import { emptyServiceState, type ServiceState, type Trigger } from "../state/state.js";
import { withFailure } from "./next-state.js";
import type { SyncResult } from "./result.js";
import { repoLabel, type ServiceSyncDeps, syncService } from "./service-sync.js";

/** RepoSyncDeps adds the source to what every service's sync needs. */
export interface RepoSyncDeps extends ServiceSyncDeps {
  readonly source: Source;
  /** record persists one service's result and state as soon as it is known, before the next service starts. */
  readonly record: (result: SyncResult, state: ServiceState) => Promise<void>;
  /** announce passes on a result that changes no state (nothing to do), for metrics; nothing is saved. */
  readonly announce: (result: SyncResult) => void;
}

/** RepoSyncInput is one repository and branch with the services to sync now, and their deployed state. */
export interface RepoSyncInput {
  readonly repo: RepoConfig;
  readonly services: readonly ServiceConfig[];
  readonly states: Readonly<Record<string, ServiceState>>;
  readonly trigger: Trigger;
}

/**
 * syncRepository polls one repository and branch once for all of its services, then syncs each service whose set
 * needs applying, one after the other: a file of it changed, it has not landed yet (never synced, or its last sync
 * failed, health included), or a person asked for it. A service none of whose files changed at a new commit is
 * recorded at that commit without applying anything. A service that fails is recorded with its error and retried
 * later; the others keep going.
 */
export async function syncRepository(input: RepoSyncInput, deps: RepoSyncDeps): Promise<SyncResult[]> {
  const stateOf = (name: string) => input.states[name] ?? emptyServiceState();
  const known: Record<string, KnownState> = {};
  for (const service of input.services) {
    const { commit, files } = stateOf(service.name);
    known[service.name] = commit ? { commit, files } : { files };
  }
  const started = deps.clock.now();
  let poll: PollResult;
  try {
    poll = await deps.source.poll({
      repository: {
        owner: input.repo.owner,
        repo: input.repo.name,
        branch: input.repo.branch,
        apiUrl: input.repo.apiUrl,
        ...(input.repo.token?.value ? { token: input.repo.token.value.reveal() } : {}),
      },
      services: input.services.map((service) => ({ name: service.name, dir: service.dir })),
      known,
    });
  } catch (error: unknown) {
    return failAll(input, deps, started, describeError(error));
  }
  if (poll.status === "unchanged") {
    const results = input.services.map((service) =>
      unchangedResult(input, service, poll.commit, started, deps),
    );
    for (const result of results) deps.announce(result);
    return results;
  }
  if (poll.status === "failed") {
    return failAll(input, deps, started, describeError(poll.error));
  }
  const results: SyncResult[] = [];
  for (const files of poll.services) {
    const service = input.services.find((candidate) => candidate.name === files.service);
    if (!service) continue;
    const state = stateOf(service.name);
    let outcome: { result: SyncResult; state: ServiceState };
    if (!files.ok) {
      outcome = failed(input, service, state, started, deps, describeError(files.error), poll.commit);
    } else if (!needsApply(files, state, input.trigger)) {
      outcome = {
        result: unchangedResult(input, service, poll.commit, started, deps),
        state: { ...state, commit: poll.commit },
      };
    } else {
      try {
        outcome = await syncService(
          { service, repo: input.repo, commit: poll.commit, files, state, trigger: input.trigger },
          deps,
        );
      } catch (error: unknown) {
        // An applyer that cannot run at all (none of the chain available) fails this service, not the loop.
        outcome = failed(input, service, state, started, deps, describeError(error), poll.commit);
      }
    }
    await deps.record(outcome.result, outcome.state);
    results.push(outcome.result);
  }
  return results;
}

async function failAll(
  input: RepoSyncInput,
  deps: RepoSyncDeps,
  started: number,
  error: { code: string; message: string },
): Promise<SyncResult[]> {
  const results: SyncResult[] = [];
  for (const service of input.services) {
    const outcome = failed(
      input,
      service,
      input.states[service.name] ?? emptyServiceState(),
      started,
      deps,
      error,
    );
    await deps.record(outcome.result, outcome.state);
    results.push(outcome.result);
  }
  return results;
}

/**
 * needsApply says whether a service's set must be applied now. A manual sync always applies: it is how a person
 * puts back what was changed by hand.
 */
function needsApply(files: ServiceFiles, state: ServiceState, trigger: Trigger): boolean {
  return files.changed || state.commit === undefined || state.lastError !== undefined || trigger === "manual";
}

/** describeError an error's stable code and message: what the SyncResult and the state record. */
function describeError(error: unknown): { code: string; message: string } {
  return {
    code: error instanceof GitOpsError ? error.code : "E_INTERNAL",
    message: (error as Error).message,
  };
}

function baseResult(input: RepoSyncInput, service: ServiceConfig, started: number, deps: RepoSyncDeps) {
  return {
    service: service.name,
    repoKey: input.repo.key,
    repo: repoLabel(input.repo),
    trigger: input.trigger,
    dryRun: deps.dryRun,
    startedAt: new Date(started).toISOString(),
    durationMs: deps.clock.now() - started,
    files: { changed: [], applied: [], failed: [], deleted: [] },
    objects: [],
    pruned: [],
    unhealthy: [],
    orphaned: [],
  };
}

function unchangedResult(
  input: RepoSyncInput,
  service: ServiceConfig,
  commit: string,
  started: number,
  deps: RepoSyncDeps,
): SyncResult {
  return { ...baseResult(input, service, started, deps), commit, status: "unchanged" };
}

function failed(
  input: RepoSyncInput,
  service: ServiceConfig,
  state: ServiceState,
  started: number,
  deps: RepoSyncDeps,
  error: { code: string; message: string },
  commit?: string,
): { result: SyncResult; state: ServiceState } {
  const result: SyncResult = {
    ...baseResult(input, service, started, deps),
    ...(commit ? { commit } : {}),
    status: "failed",
    error,
  };
  return { result, state: withFailure(state, result, deps) };
}

import type { RepoConfig, ServiceConfig } from "../config/types.js";
import type { SyncResult } from "../record/result.js";
import type { RollbackAsk } from "../record/service-control.js";
import {
  emptyServiceState,
  type RepoWaiting,
  type ServiceState,
  type Trigger,
} from "../record/state/state.js";
import type { WaitingOn } from "../record/waiting-on.js";
import type { Source, SourceRepository } from "../source/source.js";
import type { ServiceSyncDeps } from "./service-run.js";
import { sourceRepository } from "./source-repository.js";

/** RepoSyncDeps adds the source to what every service's sync needs. */
export interface RepoSyncDeps extends ServiceSyncDeps {
  readonly source: Source;
  /** record persists one service's result and state as soon as it is known, before the next service starts. */
  readonly record: (result: SyncResult, state: ServiceState) => Promise<void>;
  /** announce passes on a result that changes no state (nothing to do), for metrics; nothing is saved. */
  readonly announce: (result: SyncResult) => void;
  /** wait records that GitHub asked the repository to wait (a rate limit), or that it was read again. */
  readonly wait?: (repoKey: string, waiting: RepoWaiting | undefined) => void;
  /**
   * claim says that a service's sync is about to apply it, and returns what to call once its outcome is recorded;
   * undefined when the service is suspended and must be left alone (a rollback is never refused).
   */
  readonly claim?: (service: string, trigger: Trigger) => (() => void) | undefined;
  /** onSyncStart hears that a service's sync of a commit begins (a commit status goes `pending`). Must not throw. */
  readonly onSyncStart?: (start: SyncStart) => void;
  /**
   * waitingOn names the dependencies (`depends_on`) that hold a service back now, and why: not ready, or still to
   * be synced in this run. Without it, or when it is empty, the service may be applied.
   */
  readonly waitingOn?: (service: string) => readonly WaitingOn[];
  /** onHeld hears that a service's new commit was not applied for its dependencies, to start it once they land. */
  readonly onHeld?: (chosen: ChosenService) => void;
  /**
   * inReadSlot runs the repository's read of its branch (head, tree, blobs) once few enough reads are in flight;
   * without it, at once.
   */
  readonly inReadSlot?: InSlot;
  /**
   * inServiceSlot runs one service's part of the run in the pool of service syncs shared by all repositories (see
   * each-service.ts); without it, at once.
   */
  readonly inServiceSlot?: InSlot;
}

/** InSlot runs work once a bounded pool has room for it (see Limiter.run). */
export type InSlot = <T>(work: () => Promise<T>) => Promise<T>;

/** SyncStart names the service, repository, commit and trigger of a sync that is starting. */
export interface SyncStart {
  readonly service: string;
  readonly repoKey: string;
  readonly commit: string;
  readonly trigger: Trigger;
}

/** ChosenService is a service to sync now and what asked for it. */
export interface ChosenService {
  readonly service: ServiceConfig;
  readonly trigger: Trigger;
  /** rollback is set, with the `rollback` trigger, when a person asked to restore an earlier landed set. */
  readonly rollback?: RollbackAsk;
}

/** RepoSyncInput is one repository and branch with the services to sync now, and their deployed state. */
export interface RepoSyncInput {
  readonly repo: RepoConfig;
  readonly services: readonly ChosenService[];
  readonly states: Readonly<Record<string, ServiceState>>;
}

/** ServiceOutcome is a service's result and the state to record with it. */
export interface ServiceOutcome {
  readonly result: SyncResult;
  readonly state: ServiceState;
}

/** RepoRun is one repository's sync under way: what it was asked, with what, since when, and its results so far. */
export interface RepoRun {
  readonly input: RepoSyncInput;
  readonly deps: RepoSyncDeps;
  /** started is when the run began: every result's duration and every backoff counts from it. */
  readonly started: number;
  readonly repository: SourceRepository;
  /** results are the run's results in the order they were recorded or announced. */
  readonly results: SyncResult[];
}

/** startRepoRun begins one repository's sync now, with no results yet. */
export function startRepoRun(input: RepoSyncInput, deps: RepoSyncDeps): RepoRun {
  return { input, deps, started: deps.clock.now(), repository: sourceRepository(input.repo), results: [] };
}

/**
 * stateOf is a service's deployed state when the run began, or the empty one for a service never synced. The
 * recorder writes results into the services it hands out (see servicesInPlace), so `states` shows each result as
 * soon as it is recorded; a run reads a service's state only before it records that service's result (a rollback's
 * service is not polled in the same run), which makes both the same.
 */
export function stateOf(run: RepoRun, name: string): ServiceState {
  return run.input.states[name] ?? emptyServiceState();
}

/** recordOutcome saves a service's outcome and keeps its result, unless the run was aborted meanwhile. */
export async function recordOutcome(run: RepoRun, outcome: ServiceOutcome): Promise<void> {
  // An aborted sync (leadership lost, shutting down) writes nothing more: the next leader syncs it again.
  run.deps.signal?.throwIfAborted();
  await run.deps.record(outcome.result, outcome.state);
  run.results.push(outcome.result);
}

import { GitOpsError } from "../../common/errors.js";
import type { RepoConfig, ServiceConfig } from "../config/types.js";
import { withFailure } from "../record/next-state.js";
import { resultBase, type SyncResult } from "../record/result.js";
import {
  emptyServiceState,
  type RepoWaiting,
  type ServiceState,
  type Trigger,
} from "../record/state/state.js";
import type { PollResult, ServiceFiles, Source } from "../source/source.js";
import { attemptNote, knownForPoll } from "./backoff.js";
import { type ServiceSyncDeps, syncService } from "./service-sync.js";
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
  /** onSyncStart hears that a service's sync of a commit begins (a commit status goes `pending`). Must not throw. */
  readonly onSyncStart?: (start: SyncStart) => void;
}

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
}

/** RepoSyncInput is one repository and branch with the services to sync now, and their deployed state. */
export interface RepoSyncInput {
  readonly repo: RepoConfig;
  readonly services: readonly ChosenService[];
  readonly states: Readonly<Record<string, ServiceState>>;
}

/** isForced is true for what applies a service's whole set even when git did not change: a person, a reconcile. */
function isForced(trigger: Trigger): boolean {
  return trigger === "manual" || trigger === "reconcile";
}

/**
 * syncRepository syncs the chosen services of one repository and branch. It polls the branch once for all of them,
 * then syncs each service whose set needs applying, one after the other: a file of it changed, it has not landed
 * yet (never synced, or its last sync failed, health included), or a person or its reconcile interval asked. A
 * service none of whose files changed at a new commit is recorded at that commit without applying anything. When
 * only reconciles were asked for, nothing is polled: each landed set is applied again from the blob cache. A
 * service that fails is recorded with its error and retried after a backoff; the others keep going. The backoff
 * holds back only the failed commit: the branch is still polled, and a new head is applied at once.
 */
export async function syncRepository(input: RepoSyncInput, deps: RepoSyncDeps): Promise<SyncResult[]> {
  const started = deps.clock.now();
  const stateOf = (name: string) => input.states[name] ?? emptyServiceState();
  const repository = sourceRepository(input.repo);
  const results: SyncResult[] = [];
  const record = async (outcome: { result: SyncResult; state: ServiceState }) => {
    // An aborted sync (leadership lost, shutting down) writes nothing more: the next leader syncs it again.
    deps.signal?.throwIfAborted();
    await deps.record(outcome.result, outcome.state);
    results.push(outcome.result);
  };
  /** syncLanded applies a service's landed set again, at its landed commit, from the blob cache. */
  const syncLanded = async ({ service, trigger }: ChosenService) => {
    const state = stateOf(service.name);
    if (state.commit === undefined) return;
    const files = await deps.source.read({
      repository,
      service: { name: service.name, dir: service.dir },
      files: state.files,
    });
    if (!files.ok) {
      // The landed set is still what runs; a reconcile that cannot read it is not a failure of the service.
      deps.log.warn({ service: service.name, code: files.error.code }, files.error.message);
      return;
    }
    await record(await syncSafely(input, { service, trigger }, state.commit, files, state, started, deps));
  };

  if (input.services.every(({ trigger }) => trigger === "reconcile")) {
    // A service whose last sync failed is retried by polls, at the head; re-applying its older set would undo it.
    for (const chosen of input.services)
      if (!stateOf(chosen.service.name).lastError) await syncLanded(chosen);
    return results;
  }

  const { known, held } = knownForPoll(input.services, stateOf, started);
  const isHeld = (name: string, head: string) => {
    if (held[name] !== head) return false;
    deps.log.debug(
      { service: name, commit: head, retryAfter: stateOf(name).retryAfter },
      `commit ${head} failed; retried after its backoff`,
    );
    return true;
  };
  let poll: PollResult;
  try {
    poll = await deps.source.poll({
      repository,
      services: input.services.map(({ service }) => ({ name: service.name, dir: service.dir })),
      known,
    });
  } catch (error: unknown) {
    poll = { status: "failed", changed: false, error: error as never, services: [] };
  }
  if (poll.status === "failed" && poll.error?.code === "E_SOURCE_RATE_LIMITED") {
    // A rate limit says nothing about what runs in the cluster: the repository waits, its services keep their state.
    deps.wait?.(input.repo.key, {
      code: poll.error.code,
      message: poll.error.message,
      since: new Date(started).toISOString(),
      ...(poll.error.until === undefined ? {} : { until: poll.error.until }),
    });
    return results;
  }
  if (poll.status === "failed") {
    for (const chosen of input.services) {
      const state = stateOf(chosen.service.name);
      const outcome = failed(input, chosen, state, started, deps, describeError(poll.error));
      // An apply that failed before still has to be redone at its own backoff: a source error must not stand in for
      // it (the first good poll would clear it as if the landed set were in the cluster) nor cut its backoff short.
      // A source error alone gets no backoff: the repository is polled every interval anyway.
      const applyFailed = state.lastError !== undefined && !isSourceError(state.lastError.code);
      await record({ ...outcome, state: applyFailed ? state : { ...outcome.state, retryAfter: undefined } });
    }
    return results;
  }
  deps.wait?.(input.repo.key, undefined);
  if (poll.status === "unchanged") {
    for (const chosen of input.services) {
      const state = stateOf(chosen.service.name);
      if (isHeld(chosen.service.name, poll.commit)) continue;
      if (!isForced(chosen.trigger) && isSourceErrorOnly(state, poll.commit))
        await record(clearedSourceError(input, chosen, poll.commit, state, started, deps));
      else if (isForced(chosen.trigger) || state.lastError) await syncLanded(chosen);
      else {
        const result = unchangedResult(input, chosen, poll.commit, started, deps);
        deps.announce(result);
        results.push(result);
      }
    }
    return results;
  }
  for (const files of poll.services) {
    const chosen = input.services.find(({ service }) => service.name === files.service);
    if (!chosen || isHeld(chosen.service.name, poll.commit)) continue;
    const state = stateOf(chosen.service.name);
    if (!files.ok) {
      await record(failed(input, chosen, state, started, deps, describeError(files.error), poll.commit));
    } else if (!needsApply(files, state, chosen.trigger)) {
      await record(clearedSourceError(input, chosen, poll.commit, state, started, deps));
    } else {
      await record(await syncSafely(input, chosen, poll.commit, files, state, started, deps));
    }
  }
  return results;
}

async function syncSafely(
  input: RepoSyncInput,
  chosen: ChosenService,
  commit: string,
  files: ServiceFiles,
  state: ServiceState,
  started: number,
  deps: RepoSyncDeps,
): Promise<{ result: SyncResult; state: ServiceState }> {
  deps.onSyncStart?.({
    service: chosen.service.name,
    repoKey: input.repo.key,
    commit,
    trigger: chosen.trigger,
  });
  const note = attemptNote(state, commit, chosen.trigger);
  if (note !== undefined)
    deps.log.info(
      { service: chosen.service.name, commit, trigger: chosen.trigger, failures: state.failures },
      note,
    );
  try {
    return await syncService(
      { service: chosen.service, repo: input.repo, commit, files, state, trigger: chosen.trigger },
      deps,
    );
  } catch (error: unknown) {
    if (deps.signal?.aborted) throw deps.signal.reason;
    // An applyer that cannot run at all (none of the chain available) fails this service, not the loop.
    return failed(input, chosen, state, started, deps, describeError(error), commit);
  }
}

/**
 * needsApply says whether a service's set must be applied now that its directory was read at the head. A source
 * error (GitHub could not be read) applied nothing, so once the set is read again unchanged there is nothing to redo.
 */
function needsApply(files: ServiceFiles, state: ServiceState, trigger: Trigger): boolean {
  const applyFailed = state.lastError !== undefined && !isSourceError(state.lastError.code);
  return files.changed || state.commit === undefined || applyFailed || isForced(trigger);
}

function isSourceError(code: string): boolean {
  return code.startsWith("E_SOURCE_");
}

/** isSourceErrorOnly: the service's landed commit is the head and all that stands against it is a source error. */
function isSourceErrorOnly(state: ServiceState, head: string): boolean {
  return state.commit === head && state.lastError !== undefined && isSourceError(state.lastError.code);
}

/**
 * clearedSourceError records a service whose landed set is what git holds at the head: an unchanged result, at the
 * head, with any source error cleared; the status follows the truth without applying anything again.
 */
function clearedSourceError(
  input: RepoSyncInput,
  chosen: ChosenService,
  commit: string,
  state: ServiceState,
  started: number,
  deps: RepoSyncDeps,
): { result: SyncResult; state: ServiceState } {
  const cleared =
    state.lastError !== undefined && isSourceError(state.lastError.code)
      ? { failures: 0, lastError: undefined, retryAfter: undefined }
      : {};
  return {
    result: unchangedResult(input, chosen, commit, started, deps),
    state: { ...state, commit, ...cleared },
  };
}

/** describeError keeps an error's stable code and message: what the SyncResult and the state record. */
function describeError(error: unknown): { code: string; message: string } {
  return {
    code: error instanceof GitOpsError ? error.code : "E_INTERNAL",
    message: (error as Error).message,
  };
}

function baseResult(input: RepoSyncInput, chosen: ChosenService, started: number, deps: RepoSyncDeps) {
  return resultBase({
    service: chosen.service.name,
    repo: input.repo,
    trigger: chosen.trigger,
    dryRun: deps.dryRun,
    started,
    now: deps.clock.now(),
  });
}

function unchangedResult(
  input: RepoSyncInput,
  chosen: ChosenService,
  commit: string,
  started: number,
  deps: RepoSyncDeps,
): SyncResult {
  return { ...baseResult(input, chosen, started, deps), commit, status: "unchanged" };
}

function failed(
  input: RepoSyncInput,
  chosen: ChosenService,
  state: ServiceState,
  started: number,
  deps: RepoSyncDeps,
  error: { code: string; message: string },
  commit?: string,
): { result: SyncResult; state: ServiceState } {
  const result: SyncResult = {
    ...baseResult(input, chosen, started, deps),
    ...(commit ? { commit } : {}),
    status: "failed",
    error,
  };
  return { result, state: withFailure(state, result, deps) };
}

import type { Logger } from "pino";
import type { Clock } from "../../common/clock.js";
import type { Config } from "../config/types.js";
import { auditEvents } from "./audit.js";
import type { SyncResult } from "./result.js";
import {
  type AuditEvent,
  type ControllerState,
  emptyState,
  type RepoWaiting,
  type ServiceState,
  withEvents,
} from "./state/state.js";
import type { StateStore } from "./state/store.js";
import { logSyncResult } from "./sync-log.js";

/**
 * Recorder owns the controller's state: it loads it, and records each sync's result into it, the audit trail, the
 * log and the store, then tells the listeners.
 */
export interface Recorder {
  state(): ControllerState;
  /** load replaces the in-memory state with the stored one. */
  load(): Promise<void>;
  record(result: SyncResult, serviceState: ServiceState): Promise<void>;
  /**
   * wait records that GitHub asked a repository to wait (a rate limit), or with `undefined` that it was read again.
   * It is a state of the repository, kept in memory and saved with the next result, never a failure of its services.
   */
  wait(repoKey: string, waiting: RepoWaiting | undefined): void;
  /** reachable is false after the store refused a save twice, until a save or load succeeds. */
  reachable(): boolean;
}

/** RecorderDeps are the store, what the recorder needs to know of the config, and who hears each result. */
export interface RecorderDeps {
  readonly store: StateStore;
  readonly config: Pick<Config, "services">;
  readonly clock: Clock;
  readonly log: Logger;
  /** listeners hear every SyncResult after it is recorded: notifications, metrics. They must not throw. */
  readonly listeners: readonly ((result: SyncResult) => void)[];
}

/** createRecorder starts from the empty state; `load` reads the stored one. */
export function createRecorder(deps: RecorderDeps): Recorder {
  let state: ControllerState = emptyState();
  let reachable = false;

  const withResult = (
    base: ControllerState,
    result: SyncResult,
    serviceState: ServiceState,
    events: readonly AuditEvent[],
  ): ControllerState =>
    withRepoCommit(
      withEvents({ ...base, services: { ...base.services, [result.service]: serviceState } }, events),
      result,
      deps.config,
      deps.clock.now(),
    );

  /**
   * saveAfterConflict handles a save the store refused: another writer (a previous leader) may have saved since we
   * loaded. Its state is re-read and this service's record laid over it, once. If that fails too, the apply still
   * happened: it stays in memory and is saved with the next record; a restart re-applies it, which server-side
   * apply makes a no-op.
   */
  async function saveAfterConflict(
    result: SyncResult,
    serviceState: ServiceState,
    events: readonly AuditEvent[],
    error: unknown,
  ): Promise<void> {
    try {
      const fresh = await deps.store.load();
      state = withResult(fresh, result, serviceState, events);
      await deps.store.save(state);
      reachable = true;
      deps.log.warn(
        { err: error, store: deps.store.name },
        "the stored state had changed; merged this service into it",
      );
    } catch (retryError: unknown) {
      reachable = false;
      deps.log.error(
        { err: retryError, store: deps.store.name },
        "cannot save the state; will retry with the next result",
      );
    }
  }

  return {
    state: () => state,
    reachable: () => reachable,
    async load() {
      state = await deps.store.load();
      reachable = true;
    },
    wait(repoKey, waiting) {
      const { [repoKey]: before, ...others } = state.waiting ?? {};
      if (waiting === undefined) {
        if (before === undefined) return;
        state = { ...state, waiting: others };
        deps.log.info({ repo: repoKey }, "GitHub answers again; the repository is polled as usual");
        return;
      }
      // The first moment it began waiting is kept: a limit that lasts is one wait, not one per poll.
      state = {
        ...state,
        waiting: { ...others, [repoKey]: { ...waiting, since: before?.since ?? waiting.since } },
      };
      // One warn line per wait (and per new reset time), not one per poll of an hour-long limit.
      const news = before === undefined || before.until !== waiting.until;
      deps.log[news ? "warn" : "debug"](
        { repo: repoKey, code: waiting.code, until: waiting.until },
        `waiting for GitHub's rate limit${waiting.until ? ` until ${waiting.until}` : ""}; deployed services stay deployed`,
      );
    },
    async record(result, serviceState) {
      const events = auditEvents(result);
      state = withResult(state, result, serviceState, events);
      logSyncResult(deps.log, result);
      try {
        await deps.store.save(state);
        reachable = true;
      } catch (error: unknown) {
        await saveAfterConflict(result, serviceState, events, error);
      }
      for (const listener of deps.listeners) listener(result);
    },
  };
}

/**
 * withRepoCommit moves a repository's recorded commit once every one of its services has landed at the result's
 * commit: `/v1/gitops/repos` never names a commit that some service of the repository did not fully apply.
 */
export function withRepoCommit(
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

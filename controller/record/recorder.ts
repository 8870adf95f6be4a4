import { auditEvents } from "./audit.js";
import type { SyncResult } from "./result.js";
import { type RecorderHold, type SaveDeps, saveRecord } from "./save-record.js";
import { type ControllerState, emptyState, type RepoWaiting, type ServiceState } from "./state/state.js";
import { logSyncResult } from "./sync-log.js";
import { withResult } from "./with-result.js";
import { withWaiting } from "./with-waiting.js";

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
export interface RecorderDeps extends SaveDeps {
  /** listeners hear every SyncResult after it is recorded: notifications, metrics. They must not throw. */
  readonly listeners: readonly ((result: SyncResult) => void)[];
}

/** createRecorder starts from the empty state; `load` reads the stored one. */
export function createRecorder(deps: RecorderDeps): Recorder {
  const hold: RecorderHold = { state: emptyState(), reachable: false };
  return {
    state: () => hold.state,
    reachable: () => hold.reachable,
    async load() {
      hold.state = await deps.store.load();
      hold.reachable = true;
    },
    wait(repoKey, waiting) {
      hold.state = withWaiting(hold.state, repoKey, waiting, deps.log);
    },
    async record(result, serviceState) {
      const record = { result, serviceState, events: auditEvents(result) };
      hold.state = withResult(hold.state, record, deps.config, deps.clock.now());
      logSyncResult(deps.log, result);
      await saveRecord(hold, record, deps);
      for (const listener of deps.listeners) listener(result);
    },
  };
}

import { auditEvents } from "./audit.js";
import type { SyncResult } from "./result.js";
import { createSaveBatch, type SaveBatchDeps } from "./save-batch.js";
import type { RecorderHold } from "./save-record.js";
import { sameValue } from "./state/merge-services.js";
import {
  type ControllerState,
  emptyState,
  type RepoWaiting,
  type ServiceState,
  withEvents,
} from "./state/state.js";
import { type SuspendRequest, type SuspensionChange, withSuspension } from "./suspension.js";
import { logSyncResult } from "./sync-log.js";
import { servicesInPlace, withResult } from "./with-result.js";
import { withWaiting } from "./with-waiting.js";

/**
 * Recorder owns the controller's state: it loads it, and records each sync's result into it, the audit trail, the
 * log and the store, then tells the listeners. The state in memory changes at once; writes are batched (see
 * save-batch.ts), except where a caller is promised the change is kept (see mustSaveAtOnce).
 */
export interface Recorder {
  /**
   * state is the state now. Its services change in place as results are recorded (see servicesInPlace): a reader
   * that keeps them across a wait copies what it needs.
   */
  state(): ControllerState;
  /** load replaces the in-memory state with the stored one. */
  load(): Promise<void>;
  /**
   * refresh writes what is marked, reads the stored state and lays over it what could not be written: a member of a
   * fleet reads the others' records before each run, and loses none of its own when a write was refused.
   */
  refresh(): Promise<void>;
  /**
   * record lays a result over the state at once and marks it for the next write; it resolves once written only for
   * a result that must be (mustSaveAtOnce).
   */
  record(result: SyncResult, serviceState: ServiceState): Promise<void>;
  /** flush writes every change not written yet: the loop calls it at the end of each run (stop waits for that). */
  flush(): Promise<void>;
  /**
   * changeSuspension suspends a service (held where it is) or resumes it (git drives it again): recorded in the
   * state and the audit trail, and saved, before it resolves.
   */
  changeSuspension(
    kind: "suspend" | "resume",
    service: string,
    request: SuspendRequest,
  ): Promise<SuspensionChange>;
  /**
   * wait records that GitHub asked a repository to wait (a rate limit), or with `undefined` that it was read again.
   * It is a state of the repository, kept in memory and written with the next result, never a failure of its services.
   */
  wait(repoKey: string, waiting: RepoWaiting | undefined): void;
  /** reachable is false after the store refused a save twice, until a save or load succeeds. */
  reachable(): boolean;
}

/** RecorderDeps are the store, what the recorder needs to know of the config, and who hears each result. */
export interface RecorderDeps extends SaveBatchDeps {
  /**
   * listeners hear every SyncResult once it is recorded in memory (and written, for one that must be at once):
   * notifications, metrics. They must not throw.
   */
  readonly listeners: readonly ((result: SyncResult) => void)[];
  /**
   * onSuspension hears whether a service is suspended: for every configured service after each load, and for one
   * service whenever that changes. It must not throw.
   */
  readonly onSuspension?: (service: string, suspended: boolean) => void;
  /**
   * onSuspensionChange hears a person's suspend or resume once it is saved (not the suspension a rollback leaves),
   * with who asked and why: Events and notifications. It must not throw.
   */
  readonly onSuspensionChange?: (
    kind: "suspend" | "resume",
    service: string,
    request: SuspendRequest,
    change: SuspensionChange,
  ) => void;
}

/** createRecorder starts from the empty state; `load` reads the stored one. */
export function createRecorder(deps: RecorderDeps): Recorder {
  const hold: RecorderHold = { state: emptyState(), reachable: false };
  const batch = createSaveBatch(hold, deps);
  const write = servicesInPlace();
  const tell = (service: string) =>
    deps.onSuspension?.(service, hold.state.services[service]?.suspended !== undefined);
  return {
    state: () => hold.state,
    reachable: () => hold.reachable,
    async load() {
      // What this replica marked is dropped, not written: the stored state is another writer's now (see runBatch).
      batch.discard();
      hold.state = await deps.store.load();
      hold.reachable = true;
      for (const service of deps.config.services) tell(service.name);
    },
    async refresh() {
      await batch.flush();
      await batch.read(async () => {
        const stored = await deps.store.load();
        // Results recorded while the read was under way are marked too, so they are laid over it with the rest.
        hold.state = batch.layPending(stored);
        hold.reachable = true;
      });
      for (const service of deps.config.services) tell(service.name);
    },
    flush: () => batch.flush(),
    wait(repoKey, waiting) {
      hold.state = withWaiting(hold.state, repoKey, waiting, deps.log);
    },
    async record(result, serviceState) {
      const record = { result, serviceState, events: auditEvents(result) };
      const layOver = (state: ControllerState) =>
        withResult(state, record, deps.config, deps.clock.now(), write);
      const before = hold.state.services[result.service];
      hold.state = layOver(hold.state);
      logSyncResult(deps.log, result);
      // Laid over a state read again only while that state still holds the record this sync started from: one
      // changed since is its new owner's, after this member handed the service over with this result unwritten.
      batch.mark((state) =>
        sameValue(state.services[result.service], before) ? layOver(state) : withEvents(state, record.events),
      );
      if (mustSaveAtOnce(result)) await batch.flush();
      if (result.suspended) tell(result.service);
      for (const listener of deps.listeners) listener(result);
    },
    async changeSuspension(kind, service, request) {
      const input = { kind, service, request, now: deps.clock.now(), config: deps.config };
      const { state, change } = withSuspension(hold.state, input);
      if (!change.changed) return change;
      hold.state = state;
      deps.log.info(
        { service, by: request.by, reason: request.reason, commit: change.suspension?.commit },
        kind === "suspend" ? `service ${service} suspended` : `service ${service} resumed`,
      );
      batch.mark((fresh) => withSuspension(fresh, input).state);
      await batch.flush();
      tell(service);
      deps.onSuspensionChange?.(kind, service, request, change);
      return change;
    },
  };
}

/**
 * mustSaveAtOnce is true for a result whose loss in a crash would not be made good by syncing the service again: a
 * rollback (a person's, which answers once recorded and leaves the service suspended, or the controller's own after
 * a failed commit, which holds that commit), and the failed sync a rollback follows (what it applied joins the
 * inventory before the rollback deletes it, see roll-back-failed.ts). Any other result is the outcome of syncing
 * the branch head, which the next sync reaches again from the state written before it (docs/performance.md).
 */
export function mustSaveAtOnce(result: SyncResult): boolean {
  return (
    result.trigger === "rollback" ||
    result.suspended !== undefined ||
    result.rollback !== undefined ||
    result.rollingBack === true
  );
}

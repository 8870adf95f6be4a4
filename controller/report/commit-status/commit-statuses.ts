import type { Logger } from "pino";
import { LruCache } from "../../../common/lru.js";
import type { SyncResult } from "../../record/result.js";
import type { SyncStart } from "../../sync/repo-sync.js";
import { type StatusQueue, statusKey } from "./queue.js";
import {
  type CommitStatus,
  finishedStatus,
  rolledBackStatus,
  type StatusSettings,
  startedStatus,
} from "./status.js";

/** CommitStatusesOptions say which repositories get statuses, what they say, and the queue that sends them. */
export interface CommitStatusesOptions {
  readonly settings: StatusSettings;
  /** The `github_configs` keys with `commit_status: true`. */
  readonly repoKeys: ReadonlySet<string>;
  readonly queue: StatusQueue;
  readonly log: Pick<Logger, "error">;
}

/** CommitStatuses turns the controller's sync starts and SyncResults into commit statuses. Neither call throws. */
export interface CommitStatuses {
  started(start: SyncStart): void;
  finished(result: SyncResult): void;
}

/**
 * createCommitStatuses sets `pending` when a service's sync of a commit starts and `success` or `failure` from its
 * SyncResult, the record state, status API and notifications are built from, so the check never disagrees with
 * them. Reconciles post nothing: they re-apply a commit that already has its status, and a status per reconcile
 * would spend GitHub's 1000 statuses per commit and context in days. A retry of a commit whose status is already
 * `failure` posts only a changed outcome, for the same reason; a person's manual sync always shows `pending`. The
 * controller's own rollback marks the commit that failed (see rolledBackStatus), not the one it restored.
 */
export function createCommitStatuses(options: CommitStatusesOptions): CommitStatuses {
  const { settings, repoKeys, queue, log } = options;
  // What was last queued per commit and context; bounded, as commits and services come and go.
  const last = new LruCache<string, Pick<CommitStatus, "state" | "description">>({ maxWeight: 10_000 });
  const send = (status: CommitStatus) => {
    last.set(statusKey(status), { state: status.state, description: status.description });
    queue.enqueue(status);
  };
  // A status is a report: a bug in making one must never fail the sync it reports on.
  const guarded =
    <T>(fn: (value: T) => void) =>
    (value: T) => {
      try {
        fn(value);
      } catch (error: unknown) {
        log.error({ err: error }, "could not queue a commit status");
      }
    };
  return {
    started: guarded((start: SyncStart) => {
      // A rollback re-applies a commit that has its status already; the controller's own says so on the failed one.
      if (!repoKeys.has(start.repoKey) || start.trigger === "reconcile" || start.trigger === "rollback")
        return;
      const status = startedStatus(settings, start);
      if (start.trigger !== "manual" && last.get(statusKey(status))?.state === "failure") return;
      send(status);
    }),
    finished: guarded((result: SyncResult) => {
      if (result.dryRun || !repoKeys.has(result.repoKey) || result.trigger === "reconcile") return;
      const status = rolledBackStatus(settings, result) ?? finishedStatus(settings, result);
      if (status === undefined) return;
      const previous = last.get(statusKey(status));
      // An unchanged result applied nothing: it closes a pending status, and says nothing otherwise.
      if (result.status === "unchanged" && previous?.state !== "pending") return;
      if (previous?.state === status.state && previous.description === status.description) return;
      send(status);
    }),
  };
}

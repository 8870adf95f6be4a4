import type { ObjectApplyResult, ObjectDeleteResult } from "../../applyers/applyer.js";
import type { RepoConfig } from "../config/types.js";
import type { FileFailure } from "../desired/files.js";
import type { BootstrapDecision } from "../desired/release-probe.js";
import type { ObjectRef } from "../desired/render/types.js";
import type { ObjectHealth } from "../health/health.js";
import type { DriftReport, RollbackRecord, Suspension, Trigger } from "./state/state.js";

/**
 * SyncStatus is the closed set of outcomes of one service's sync: its whole set was applied, landed and is healthy
 * (`applied`, whatever the server said of each object); nothing in it changed, so nothing was sent (`unchanged`);
 * or something did not land (`failed`).
 */
export type SyncStatus = "applied" | "unchanged" | "failed";

/**
 * SyncResult is one sync of one service at one commit. It is the single record that the state store, the status
 * API, the audit trail, metrics, logs and notifications are all built from, so they can never disagree.
 */
export interface SyncResult {
  readonly service: string;
  readonly repoKey: string;
  /** `owner/name@branch` */
  readonly repo: string;
  readonly commit?: string;
  readonly trigger: Trigger;
  readonly dryRun: boolean;
  readonly status: SyncStatus;
  readonly startedAt: string;
  readonly durationMs: number;
  /**
   * Which files this commit changed compared with the last landed set: `applied` when the whole set landed, and
   * those that failed on their own (a parse error, a rejected or unhealthy object) with why; `deleted` are gone.
   */
  readonly files: {
    readonly changed: readonly string[];
    readonly applied: readonly string[];
    readonly failed: readonly FileFailure[];
    readonly deleted: readonly string[];
  };
  readonly objects: readonly ObjectApplyResult[];
  readonly pruned: readonly ObjectDeleteResult[];
  readonly unhealthy: readonly ObjectHealth[];
  /** Objects removed from git and left in place because `prune` is off. */
  readonly orphaned: readonly ObjectRef[];
  /** What a reconcile found changed in the cluster, and whether it was put back; absent for other syncs. */
  readonly drift?: DriftReport;
  /** Whether the set's pod templates got the stateless bootstrap, and why; absent when it was not rendered. */
  readonly bootstrap?: BootstrapDecision;
  readonly error?: { readonly code: string; readonly message: string };
  /** Who asked for this sync, when a person did and said so (a rollback). */
  readonly actor?: string;
  /** Set when the sync left the service suspended: a rollback holds the set it restored until someone resumes. */
  readonly suspended?: Suspension;
  /**
   * rollback says what a rollback sync restored (`trigger: rollback`), and for the controller's own rollback after a
   * failed commit, which commit failed and why; set whether the rollback landed or not.
   */
  readonly rollback?: RollbackRecord;
  /**
   * rollingBack marks a failed sync that a rollback to the last landed set follows at once (`on_failure: rollback`):
   * the rollback's result tells the rest, so this one is not notified on its own.
   */
  readonly rollingBack?: true;
}

/** repoLabel is `owner/name@branch`, how logs, results and the status API name a watched branch. */
export function repoLabel(repo: Pick<RepoConfig, "owner" | "name" | "branch">): string {
  return `${repo.owner}/${repo.name}@${repo.branch}`;
}

/**
 * resultBase is what every SyncResult of one service starts from: who, where, why and when, and nothing done yet;
 * the caller adds its status, commit and what it did.
 */
export function resultBase(input: {
  readonly service: string;
  readonly repo: RepoConfig;
  readonly trigger: Trigger;
  readonly dryRun: boolean;
  readonly started: number;
  readonly now: number;
}): Omit<SyncResult, "status" | "commit"> {
  return {
    service: input.service,
    repoKey: input.repo.key,
    repo: repoLabel(input.repo),
    trigger: input.trigger,
    dryRun: input.dryRun,
    startedAt: new Date(input.started).toISOString(),
    durationMs: input.now - input.started,
    files: { changed: [], applied: [], failed: [], deleted: [] },
    objects: [],
    pruned: [],
    unhealthy: [],
    orphaned: [],
  };
}

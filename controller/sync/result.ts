import type { ObjectApplyResult, ObjectDeleteResult } from "../../applyers/applyer.js";
import type { ObjectHealth } from "../../applyers/health.js";
import type { Trigger } from "../state/state.js";

/** SyncStatus is the closed set of outcomes of one service's sync. */
export type SyncStatus = "applied" | "unchanged" | "failed" | "skipped";

/** FileFailure is one file that could not be applied, with the reason. */
export interface FileFailure {
  readonly path: string;
  readonly error: string;
}

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
  readonly files: {
    readonly applied: readonly string[];
    readonly failed: readonly FileFailure[];
    readonly deleted: readonly string[];
    readonly skipped: readonly string[];
  };
  readonly objects: readonly ObjectApplyResult[];
  readonly pruned: readonly ObjectDeleteResult[];
  readonly unhealthy: readonly ObjectHealth[];
  readonly warnings: readonly string[];
  readonly error?: { readonly code: string; readonly message: string };
}

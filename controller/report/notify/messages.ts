import type { FileFailure } from "../../desired/files.js";
import type { SyncResult } from "../../record/result.js";
import type { Trigger } from "../../record/state/state.js";

/**
 * ServiceEvent is something done to a service outside a sync: a rollback to a landed commit (by a person through
 * the API, or by the controller after a failed commit), a suspend or a resume.
 */
export interface ServiceEvent {
  readonly event: "rolled_back" | "suspended" | "resumed";
  readonly service: string;
  /** `owner/name@branch` */
  readonly repo: string;
  /** The commit the service is at after the event: a rollback's restored commit. */
  readonly commit?: string;
  /** What started it; `manual` (an API call) unless said. */
  readonly trigger?: Trigger;
  /** Who asked, when a person did. */
  readonly by?: string;
  readonly reason?: string;
  /** The commit a rollback moved away from, when one failed. */
  readonly failedCommit?: string;
  /** A rollback's re-apply: its objects are listed as a sync's are, and its failure makes the event an error. */
  readonly result?: SyncResult;
}

/** FileNotification is the seed's per-file event: one file of a service applied (or not) at a commit. */
export interface FileNotification {
  readonly kind: "file";
  readonly service: string;
  readonly repo: string;
  readonly commit: string;
  readonly path: string;
  /** The file's blob SHA when known, else the commit (a failed file has no recorded blob SHA). */
  readonly sha: string;
  readonly status: "success" | "failed";
  readonly time: string;
  readonly error?: string;
}

/** Severity is how a notification is to be read: `error` when something did not land, `info` otherwise. */
export type Severity = "info" | "error";

/**
 * Outcome is what one notification announces: a sync that applied its set or failed, a reconcile that put drifted
 * objects back, a sync that only pruned, or something done to a service outside a sync (see ServiceEvent).
 */
export type Outcome = "applied" | "failed" | "drift_corrected" | "pruned" | ServiceEvent["event"];

/** ListedChange is one object a sync or rollback did something to, and what. */
export interface ListedChange {
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  /** An apply's action (`created`, `configured`, `failed`, `skipped`) or a prune's (`deleted`, `failed`, …). */
  readonly action: string;
  /** Why, for an object that failed or was skipped. */
  readonly message?: string;
}

/**
 * SyncSummary is the one message per service sync (or per service event): what happened, how bad it is, and the
 * objects it touched, bounded so a sync of thousands of objects is still one small message.
 */
export interface SyncSummary {
  readonly kind: "summary";
  readonly outcome: Outcome;
  readonly severity: Severity;
  readonly service: string;
  readonly repo: string;
  readonly commit: string;
  /** The sync's status (`applied`, `failed`), or the service event's name. */
  readonly status: string;
  readonly trigger: string;
  readonly time: string;
  readonly durationMs: number;
  readonly applied: readonly string[];
  readonly failed: readonly FileFailure[];
  readonly deleted: readonly string[];
  /** How many objects got each action, unchanged ones included. */
  readonly objects: Readonly<Record<string, number>>;
  readonly pruned: number;
  /** The objects something happened to, failures first, at most MAX_LISTED_CHANGES of them. */
  readonly changes: readonly ListedChange[];
  /** How many objects something happened to, listed or not. */
  readonly changesTotal: number;
  /** Who asked for a service event, when someone did. */
  readonly by?: string;
  readonly reason?: string;
  /** The commit a rollback moved away from. */
  readonly failedCommit?: string;
  readonly error?: { readonly code: string; readonly message: string };
}

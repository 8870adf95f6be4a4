import type { Secret } from "../../config/secret.js";
import type { FileFailure } from "../../desired/files.js";
import type { SyncResult } from "../../record/result.js";
import type { ServiceEvent } from "./service-event.js";

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

/** Notification is anything a notifier sends. */
export type Notification = FileNotification | SyncSummary;

/**
 * Format renders a notification as the JSON body one kind of receiver expects; `undefined` means this format does
 * not send that kind (chat formats send only summaries, so a 40-file commit is one message, not 41).
 */
export interface Format {
  readonly type: string;
  render(notification: Notification): unknown;
}

/** NotifyTarget is one receiver: where to post, in which format, and the HMAC secret if one is configured. */
export interface NotifyTarget {
  /** name identifies the target in logs (`slack#0`); the URL is never logged, it can be a credential itself. */
  readonly name: string;
  readonly url: Secret;
  readonly format: Format;
  readonly secret?: Secret;
  /** perFile also sends the seed's per-file events before each summary (`per_file: true`). */
  readonly perFile?: boolean;
}

/**
 * Notifier reports sync results to the outside world. `notify` never blocks and never throws: delivery happens in
 * the background, so a slow or dead receiver cannot delay applying. `flush` waits until everything queued was
 * delivered or given up on (tests, shutdown).
 */
export interface Notifier {
  /** notify queues the notifications of one result; `fileShas` are the blob SHAs of the files it applied. */
  notify(result: SyncResult, fileShas?: Readonly<Record<string, string>>): void;
  /** notifyEvent queues the one notification of a rollback, a suspend or a resume. */
  notifyEvent(event: ServiceEvent): void;
  flush(): Promise<void>;
}

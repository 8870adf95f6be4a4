import type { Secret } from "../../config/secret.js";
import type { FileFailure } from "../../desired/files.js";
import type { SyncResult, SyncStatus } from "../../record/result.js";

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

/** SyncSummary is one message per service sync: what was applied, what failed, what was pruned. */
export interface SyncSummary {
  readonly kind: "summary";
  readonly service: string;
  readonly repo: string;
  readonly commit: string;
  readonly status: SyncStatus;
  readonly trigger: string;
  readonly time: string;
  readonly durationMs: number;
  readonly applied: readonly string[];
  readonly failed: readonly FileFailure[];
  readonly deleted: readonly string[];
  readonly objects: Readonly<Record<string, number>>;
  readonly pruned: number;
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
}

/**
 * Notifier reports sync results to the outside world. `notify` never blocks and never throws: delivery happens in
 * the background, so a slow or dead receiver cannot delay applying. `flush` waits until everything queued was
 * delivered or given up on (tests, shutdown).
 */
export interface Notifier {
  /** notify queues the notifications of one result; `fileShas` are the blob SHAs of the files it applied. */
  notify(result: SyncResult, fileShas?: Readonly<Record<string, string>>): void;
  flush(): Promise<void>;
}

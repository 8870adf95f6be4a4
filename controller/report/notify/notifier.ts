import type { Secret } from "../../config/secret.js";
import type { SyncResult } from "../../record/result.js";
import type { FileNotification, ServiceEvent, SyncSummary } from "./messages.js";

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

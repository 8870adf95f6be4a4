import type { SyncResult } from "../../record/result.js";
import type { FileNotification, SyncSummary } from "./messages.js";
import type { Notification } from "./notifier.js";
import { syncSummary } from "./sync-summary.js";

/**
 * notificationsFor turns one SyncResult into what is sent about it: the seed's event per applied or failed file
 * (sent only to targets with `per_file`), then the one summary. A sync without a summary sends nothing.
 */
export function notificationsFor(
  result: SyncResult,
  fileShas: Readonly<Record<string, string>>,
  time: string,
): Notification[] {
  const summary = syncSummary(result, time);
  return summary ? [...fileEvents(result, fileShas, summary), summary] : [];
}

function fileEvents(
  result: SyncResult,
  fileShas: Readonly<Record<string, string>>,
  summary: SyncSummary,
): FileNotification[] {
  const base = { service: summary.service, repo: summary.repo, commit: summary.commit, time: summary.time };
  const sha = (path: string) => fileShas[path] ?? base.commit;
  return [
    ...result.files.applied.map((path) => ({
      kind: "file" as const,
      ...base,
      path,
      sha: sha(path),
      status: "success" as const,
    })),
    ...result.files.failed.map((failure) => ({
      kind: "file" as const,
      ...base,
      path: failure.path,
      sha: sha(failure.path),
      status: "failed" as const,
      error: failure.error,
    })),
  ];
}

/**
 * dedupKey identifies a notification for de-duplication: the same service, commit, file (or summary), outcome and
 * status is sent once, so a failure retried at its backoff is announced once. The status is part of it so that a
 * file that failed and then applied on retry at the same commit still reports its success. A drift correction or a
 * service event is news each time it happens at the same commit: it has no key and is never de-duplicated.
 */
export function dedupKey(notification: Notification): string | undefined {
  const commit =
    notification.commit || `no-commit:${notification.kind === "summary" ? notification.error?.code : ""}`;
  if (notification.kind === "file")
    return [notification.service, commit, `file:${notification.path}`, notification.status].join("\u0000");
  const { outcome } = notification;
  if (outcome !== "applied" && outcome !== "failed" && outcome !== "pruned") return undefined;
  return [notification.service, commit, "summary", outcome, notification.status].join("\u0000");
}

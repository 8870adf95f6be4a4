import type { SyncResult } from "../../record/result.js";
import type { Notification } from "./notifier.js";

/**
 * notificationsFor turns one SyncResult into what is sent about it: one event per applied or failed file, then a
 * summary. A dry run or a sync that changed nothing sends nothing, or every poll would notify.
 */
export function notificationsFor(
  result: SyncResult,
  fileShas: Readonly<Record<string, string>>,
  time: string,
): Notification[] {
  if (result.dryRun || (result.status !== "applied" && result.status !== "failed")) return [];
  const base = { service: result.service, repo: result.repo, commit: result.commit ?? "", time };
  const files: Notification[] = [
    ...result.files.applied.map((path) => ({
      kind: "file" as const,
      ...base,
      path,
      sha: fileShas[path] ?? base.commit,
      status: "success" as const,
    })),
    ...result.files.failed.map((failure) => ({
      kind: "file" as const,
      ...base,
      path: failure.path,
      sha: fileShas[failure.path] ?? base.commit,
      status: "failed" as const,
      error: failure.error,
    })),
  ];
  const objects: Record<string, number> = {};
  for (const object of result.objects) objects[object.action] = (objects[object.action] ?? 0) + 1;
  return [
    ...files,
    {
      kind: "summary",
      ...base,
      status: result.status,
      trigger: result.trigger,
      durationMs: result.durationMs,
      applied: result.files.applied,
      failed: result.files.failed,
      deleted: result.files.deleted,
      objects,
      pruned: result.pruned.filter((p) => p.action === "deleted").length,
      ...(result.error && { error: result.error }),
    },
  ];
}

/**
 * dedupKey identifies a notification for de-duplication: the same service, commit, file (or summary) and status
 * is sent once. The status is part of it so that a file that failed and then applied on retry at the same commit
 * still reports its success.
 */
export function dedupKey(notification: Notification): string {
  const commit =
    notification.commit || `no-commit:${notification.kind === "summary" ? notification.error?.code : ""}`;
  const subject = notification.kind === "file" ? `file:${notification.path}` : "summary";
  return [notification.service, commit, subject, notification.status].join("\u0000");
}

/** summaryText is one line describing a sync, shared by the chat formats. */
export function summaryText(summary: Extract<Notification, { kind: "summary" }>): string {
  const commit = summary.commit ? summary.commit.slice(0, 12) : "no commit";
  const verb = summary.status === "applied" ? "applied" : "FAILED to apply";
  const counts = [`${summary.applied.length} file(s) applied`];
  if (summary.failed.length > 0) counts.push(`${summary.failed.length} failed`);
  if (summary.pruned > 0) counts.push(`${summary.pruned} object(s) pruned`);
  return `simple-gitops ${verb} ${summary.service} at ${commit} (${summary.repo}): ${counts.join(", ")}`;
}

/** failureLines lists why files failed, one per line, cut short so chat messages stay within their limits. */
export function failureLines(summary: Extract<Notification, { kind: "summary" }>, max = 10): string[] {
  const lines = summary.failed.slice(0, max).map((f) => `${f.path}: ${f.error}`.slice(0, 300));
  if (summary.failed.length > max) lines.push(`… and ${summary.failed.length - max} more`);
  if (summary.error && summary.failed.length === 0)
    lines.push(`${summary.error.code}: ${summary.error.message}`);
  return lines;
}

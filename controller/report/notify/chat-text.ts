import type { SyncSummary } from "./messages.js";

const VERBS: Readonly<Record<SyncSummary["outcome"], string>> = {
  applied: "applied",
  failed: "FAILED to apply",
  drift_corrected: "corrected drift of",
  pruned: "pruned objects of",
  rolled_back: "rolled back",
  suspended: "suspended",
  resumed: "resumed",
};

/** summaryText is one line describing a sync or a service event, its severity first, shared by the chat formats. */
export function summaryText(summary: SyncSummary): string {
  const commit = summary.commit ? summary.commit.slice(0, 12) : "no commit";
  const at = summary.outcome === "rolled_back" ? "to" : "at";
  const counts: string[] = [];
  if (summary.applied.length > 0 || summary.outcome === "applied" || summary.outcome === "failed")
    counts.push(`${summary.applied.length} file(s) applied`);
  if (summary.failed.length > 0) counts.push(`${summary.failed.length} failed`);
  if (summary.pruned > 0) counts.push(`${summary.pruned} object(s) pruned`);
  if (summary.outcome === "drift_corrected") counts.push(`${summary.changesTotal} object(s) put back`);
  const who = summary.by ? ` by ${summary.by}` : "";
  const head = `[${summary.severity}] simple-gitops ${VERBS[summary.outcome]} ${summary.service} ${at} ${commit} (${summary.repo})${who}`;
  return counts.length > 0 ? `${head}: ${counts.join(", ")}` : head;
}

/**
 * detailLines lists why files failed and what happened to which object, one per line, cut short so chat messages
 * stay within their limits.
 */
export function detailLines(summary: SyncSummary, max = 10): string[] {
  const lines = summary.failed.slice(0, max).map((f) => `${f.path}: ${f.error}`.slice(0, 300));
  if (summary.failed.length > max) lines.push(`… and ${summary.failed.length - max} more failed file(s)`);
  if (summary.error && summary.failed.length === 0)
    lines.push(`${summary.error.code}: ${summary.error.message}`.slice(0, 300));
  if (summary.reason) lines.push(summary.reason.slice(0, 300));
  for (const change of summary.changes.slice(0, max)) {
    const where = change.namespace ? `${change.namespace}/` : "";
    lines.push(`${change.kind} ${where}${change.name}: ${change.action}`);
  }
  const listed = Math.min(summary.changes.length, max);
  if (summary.changesTotal > listed) lines.push(`… and ${summary.changesTotal - listed} more object(s)`);
  return lines;
}

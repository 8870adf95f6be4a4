import type { SyncResult } from "../../record/result.js";
import { countActions, listChanges } from "./changes.js";
import type { Outcome, SyncSummary } from "./messages.js";

/**
 * syncSummary is the one notification of a sync that did something: it applied its set, failed, put drifted objects
 * back, or only pruned. A dry run or a sync that changed nothing has none, or every poll would notify.
 */
export function syncSummary(result: SyncResult, time: string): SyncSummary | undefined {
  if (result.dryRun || (result.status !== "applied" && result.status !== "failed")) return undefined;
  const outcome = syncOutcome(result);
  return {
    kind: "summary",
    outcome,
    severity: outcome === "failed" ? "error" : "info",
    service: result.service,
    repo: result.repo,
    commit: result.commit ?? "",
    status: result.status,
    trigger: result.trigger,
    time,
    ...whatItDid(result),
  };
}

/** whatItDid is what a summary says of a sync's (or a rollback's) result: its files, objects, prunes and error. */
export function whatItDid(
  result: SyncResult | undefined,
): Pick<
  SyncSummary,
  | "durationMs"
  | "applied"
  | "failed"
  | "deleted"
  | "objects"
  | "pruned"
  | "changes"
  | "changesTotal"
  | "error"
> {
  const { changes, total } = listChanges(result?.objects ?? [], result?.pruned ?? []);
  return {
    durationMs: result?.durationMs ?? 0,
    applied: result?.files.applied ?? [],
    failed: result?.files.failed ?? [],
    deleted: result?.files.deleted ?? [],
    objects: countActions(result?.objects ?? []),
    pruned: (result?.pruned ?? []).filter((p) => p.action === "deleted").length,
    changes,
    changesTotal: total,
    ...(result?.error && { error: result.error }),
  };
}

/** syncOutcome names what a sync that did something did, from what it did rather than from what started it. */
function syncOutcome(result: SyncResult): Outcome {
  if (result.status === "failed") return "failed";
  if (result.drift?.mode === "correct" && result.drift.objects.length > 0) return "drift_corrected";
  const changed = result.objects.some((o) => o.action === "created" || o.action === "configured");
  if (!changed && result.pruned.some((p) => p.action === "deleted")) return "pruned";
  return "applied";
}

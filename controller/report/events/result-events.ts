import { describeRef, type ObjectRef } from "../../../kube/objects.js";
import type { SyncResult } from "../../record/result.js";
import type { EmitServiceEvent, ServiceEventReason } from "./service-events.js";

// Enough names to find the objects with kubectl; the status API lists them all.
const NAMED_OBJECTS = 5;

/** ResultEvent is one Event a sync result makes. */
export interface ResultEvent {
  readonly reason: ServiceEventReason;
  readonly message: string;
}

/**
 * resultEvents is what a sync says as Events: `SyncFailed` with its error, `RolledBack` for a rollback that
 * landed (a person's, or the controller's after a failed commit, naming it), `DriftCorrected` for a reconcile that put objects back, `SyncSucceeded` for any other set that landed, and
 * `Pruned` when objects that left git were deleted. A dry run and a sync with nothing to do (`unchanged`) say
 * nothing.
 */
export function resultEvents(result: SyncResult): ResultEvent[] {
  if (result.dryRun) return [];
  const at = result.commit ? `commit ${result.commit.slice(0, 12)}` : "its set";
  const events: ResultEvent[] = [];
  const rollback = result.trigger === "rollback";
  if (result.status === "failed") {
    events.push({
      reason: "SyncFailed",
      message: `${rollback ? `rollback to ${at}` : at} failed: ${result.error?.message ?? "see the status API"}`,
    });
  } else if (rollback && result.rollback?.failedCommit) {
    events.push({
      reason: "RolledBack",
      message: `commit ${result.rollback.failedCommit.slice(0, 12)} failed to land and was rolled back to ${at}; it is not tried again until the head moves or a manual sync: ${counted(result.objects)}`,
    });
  } else if (rollback) {
    const by = result.actor ? ` by ${result.actor}` : "";
    events.push({
      reason: "RolledBack",
      message: `rolled back${by} to ${at}, suspended until resumed: ${counted(result.objects)}`,
    });
  } else if (result.status === "applied") {
    const drifted = result.drift?.mode === "correct" ? result.drift.objects : [];
    events.push(
      drifted.length > 0
        ? {
            reason: "DriftCorrected",
            message: `put back ${drifted.length} object(s) changed in the cluster to ${at}: ${named(drifted)}`,
          }
        : { reason: "SyncSucceeded", message: `${at} applied and healthy: ${counted(result.objects)}` },
    );
  }
  const deleted = result.pruned.filter((object) => object.action === "deleted");
  if (deleted.length > 0) {
    events.push({
      reason: "Pruned",
      message: `deleted ${deleted.length} object(s) ${result.rollback?.failedCommit ? "the failed commit created" : "removed from git"}: ${named(deleted)}`,
    });
  }
  return events;
}

/** resultEventListener emits the Events of each sync result (a listener of the controller). */
export function resultEventListener(emit: EmitServiceEvent): (result: SyncResult) => void {
  return (result) => {
    for (const event of resultEvents(result)) emit(event.reason, result.service, event.message);
  };
}

function named(objects: readonly ObjectRef[]): string {
  const shown = objects.slice(0, NAMED_OBJECTS).map(describeRef).join(", ");
  const more = objects.length - NAMED_OBJECTS;
  return more > 0 ? `${shown} and ${more} more` : shown;
}

function counted(objects: readonly { readonly action: string }[]): string {
  const counts = new Map<string, number>();
  for (const object of objects) counts.set(object.action, (counts.get(object.action) ?? 0) + 1);
  return [...counts].map(([action, count]) => `${count} ${action}`).join(", ") || "no objects";
}

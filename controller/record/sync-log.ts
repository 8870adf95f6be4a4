import type { Logger } from "pino";
import { describeRef } from "../desired/render/types.js";
import type { SyncResult } from "./result.js";

/**
 * logSyncResult writes what one sync did: a line per object (`object applied`, or `object failed` / `object
 * skipped` at error level with why), a line per pruned object, a line for objects left in place because prune is
 * off, and one summary line (`sync applied`, `sync failed` with the error, or `service: no change`).
 */
export function logSyncResult(parent: Logger, result: SyncResult): void {
  // The fields every line of the sync shares are bound once: pino serializes and redacts a child's bindings when it
  // is made, not again for each of the sync's lines (half the cost of logging a first sync, issue 32).
  const log = parent.child({
    service: result.service,
    repo: result.repo,
    commit: result.commit,
    trigger: result.trigger,
    dryRun: result.dryRun,
  });
  for (const object of result.objects) {
    const line = {
      kind: object.kind,
      namespace: object.namespace,
      name: object.name,
      action: object.action,
      ...(object.message ? { message: object.message } : {}),
      ...(object.takenOver ? { takenOver: object.takenOver } : {}),
    };
    if (object.action === "failed" || object.action === "skipped") log.error(line, `object ${object.action}`);
    else log.info(line, "object applied");
  }
  for (const object of result.pruned) {
    log.info(
      { kind: object.kind, namespace: object.namespace, name: object.name, action: object.action },
      "object pruned",
    );
  }
  if (result.orphaned.length > 0) {
    log.warn(
      { objects: result.orphaned.map(describeRef), deleted: result.files.deleted },
      "objects removed from git were left in place: prune is off",
    );
  }
  const summary = {
    status: result.status,
    durationMs: result.durationMs,
    files: result.files,
    ...(result.bootstrap ? { bootstrap: result.bootstrap } : {}),
  };
  if (result.status === "failed") log.error({ ...summary, error: result.error }, "sync failed");
  else log.info(summary, result.status === "unchanged" ? "service: no change" : "sync applied");
}

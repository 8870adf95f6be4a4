import type { KubeObject } from "../kube/objects.js";
import type { ApplyAction } from "./applyer.js";

/** The field manager both applyers apply as; its managedFields entry says which fields the controller owns. */
export const FIELD_MANAGER = "simple-gitops";

/**
 * applyAction says what an apply did from the live object before, the object the apply returned, and the object
 * that was sent. It compares only what the sent object sets (projected onto the same shape, so the server's
 * defaults and normalised values compare equal) and the controller's own managedFields entry: its field set (a
 * field dropped from git, which the apply removes, changes it) and its time, which the apiserver moves only when
 * this manager changed a value it owns. The time catches a change made between the read and the apply (someone
 * scaled a Deployment just after it was read: the apply put it back, though before and after look alike).
 * Everything else is other writers': controllers write status and annotations all the time (a Deployment gets
 * `deployment.kubernetes.io/revision` right after it is created), which must not turn a no-op into `configured`.
 */
export function applyAction(
  before: KubeObject | undefined,
  after: KubeObject | undefined,
  sent: KubeObject,
): Extract<ApplyAction, "created" | "configured" | "unchanged"> {
  // A different UID: the object read before was deleted (or was being deleted) and the apply created a new one.
  if (!before || (after && before.metadata.uid !== after.metadata.uid)) return "created";
  if (!after) return "configured";
  const same =
    JSON.stringify(project(before, sent)) === JSON.stringify(project(after, sent)) &&
    JSON.stringify(ownEntry(before)) === JSON.stringify(ownEntry(after));
  return same ? "unchanged" : "configured";
}

/** project keeps of `live` only the paths `shape` sets, with a list's length kept so added or removed items show. */
function project(live: unknown, shape: unknown): unknown {
  if (Array.isArray(shape)) {
    if (!Array.isArray(live)) return live;
    return { length: live.length, items: shape.map((item, index) => project(live[index], item)) };
  }
  if (shape === null || typeof shape !== "object") return live;
  if (live === null || typeof live !== "object" || Array.isArray(live)) return live;
  const record = live as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(shape)
      .sort()
      .map((key) => [key, project(record[key], (shape as Record<string, unknown>)[key])]),
  );
}

/** ownEntry is the field set and time of the controller's apply entry in managedFields (undefined when none). */
function ownEntry(object: KubeObject): unknown {
  const managed = object.metadata.managedFields as
    | readonly { manager?: string; operation?: string; time?: string; fieldsV1?: unknown }[]
    | undefined;
  const own = managed?.find((entry) => entry.manager === FIELD_MANAGER && entry.operation === "Apply");
  return own && { fields: own.fieldsV1, time: own.time };
}

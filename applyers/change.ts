import type { KubeObject } from "../kube/objects.js";
import type { ApplyAction } from "./applyer.js";

/** The field manager both applyers apply as; its managedFields entry says which fields the controller owns. */
export const FIELD_MANAGER = "simple-gitops";

/**
 * applyAction says what an apply did from the live object before, the object the apply returned, and the object
 * that was sent. It compares only what the sent object sets (projected onto the same shape, so the server's
 * defaults and normalised values compare equal) plus the set of fields the controller owns (so a field dropped
 * from git, which the apply removes, counts as a change). Everything else is other writers': controllers write
 * status and annotations all the time (a Deployment gets `deployment.kubernetes.io/revision` right after it is
 * created), which must not turn a no-op apply into `configured`.
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
    JSON.stringify(ownedFields(before)) === JSON.stringify(ownedFields(after));
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

/** ownedFields is the field set of the controller's apply entry in managedFields (undefined when it owns none). */
function ownedFields(object: KubeObject): unknown {
  const managed = object.metadata.managedFields as
    | readonly { manager?: string; operation?: string; fieldsV1?: unknown }[]
    | undefined;
  return managed?.find((entry) => entry.manager === FIELD_MANAGER && entry.operation === "Apply")?.fieldsV1;
}

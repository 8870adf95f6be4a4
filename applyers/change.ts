import { COMMIT_ANNOTATION, type KubeObject } from "../kube/objects.js";
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
 *
 * The commit annotation is not compared: every new commit moves it on every object it applies, and a commit that
 * changed nothing else of an object must not report it `configured` to notifications, audit and metrics. The
 * annotation is still written. When it moved, so did the entry's time, so the time cannot tell a change put back
 * between the read and the apply; the generation still does for objects that keep one (see sameOwnEntry).
 */
export function applyAction(
  before: KubeObject | undefined,
  after: KubeObject | undefined,
  sent: KubeObject,
): Extract<ApplyAction, "created" | "configured" | "unchanged"> {
  // A different UID: the object read before was deleted (or was being deleted) and the apply created a new one.
  if (!before || (after && before.metadata.uid !== after.metadata.uid)) return "created";
  if (!after) return "configured";
  const shape = withoutCommit(sent);
  const same =
    JSON.stringify(project(before, shape)) === JSON.stringify(project(after, shape)) &&
    sameOwnEntry(before, after);
  return same ? "unchanged" : "configured";
}

/** withoutCommit is `sent` without the commit annotation, so projecting on it leaves the annotation out. */
function withoutCommit(sent: KubeObject): KubeObject {
  const annotations = sent.metadata.annotations;
  if (annotations?.[COMMIT_ANNOTATION] === undefined) return sent;
  const { [COMMIT_ANNOTATION]: _commit, ...rest } = annotations;
  return { ...sent, metadata: { ...sent.metadata, annotations: rest } };
}

/**
 * sameOwnEntry is whether the controller's entry kept its field set and time. When the commit annotation moved, the
 * time moved with it, and the generation stands in for it: a change made and put back between the read and the
 * apply moves it twice (the change, then the apply undoing it), while the apply alone moves it at most once (a
 * Deployment counts annotation changes in its generation; most kinds count spec changes only).
 */
function sameOwnEntry(before: KubeObject, after: KubeObject): boolean {
  const was = ownEntry(before);
  const is = ownEntry(after);
  if (JSON.stringify(was?.fields) !== JSON.stringify(is?.fields)) return false;
  const commitMoved =
    before.metadata.annotations?.[COMMIT_ANNOTATION] !== after.metadata.annotations?.[COMMIT_ANNOTATION];
  if (!commitMoved) return was?.time === is?.time;
  return generationOf(after) - generationOf(before) <= 1;
}

/** generationOf is an object's `metadata.generation`, 0 for a kind that keeps none. */
function generationOf(object: KubeObject): number {
  const generation = object.metadata.generation;
  return typeof generation === "number" ? generation : 0;
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
function ownEntry(object: KubeObject): { fields: unknown; time: unknown } | undefined {
  const managed = object.metadata.managedFields as
    | readonly { manager?: string; operation?: string; time?: string; fieldsV1?: unknown }[]
    | undefined;
  const own = managed?.find((entry) => entry.manager === FIELD_MANAGER && entry.operation === "Apply");
  return own && { fields: own.fieldsV1, time: own.time };
}

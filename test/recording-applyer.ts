import type { Applyer, ObjectApplyResult } from "../applyers/applyer.js";
import { type KubeObject, type ObjectRef, refKey, refOf } from "../kube/objects.js";

/**
 * recordingApplyer stands in for a cluster in the loop's own tests (the applyers are proven on a real cluster in
 * test/e2e): it records every object it is sent, fails the names it is told to, and answers as a server would:
 * `created` the first time, `unchanged` when the object is the same as last time, `configured` otherwise.
 */
export function recordingApplyer() {
  const applied: KubeObject[][] = [];
  const deleted: ObjectRef[][] = [];
  const failNames = new Set<string>();
  const live = new Map<string, string>();
  let gate: Promise<void> | undefined;
  // What the server would answer for an object, without recording it: how the stand-in serves a dry run too.
  const answer = (object: KubeObject): ObjectApplyResult => {
    const ref = refOf(object);
    if (failNames.has(object.metadata.name))
      return { ...ref, action: "failed", message: `admission webhook denied ${object.metadata.name}` };
    const before = live.get(refKey(ref));
    const action =
      before === undefined ? "created" : before === JSON.stringify(object) ? "unchanged" : "configured";
    return { ...ref, action };
  };
  const applyer: Applyer = {
    name: "recording",
    async ensureInstalled() {},
    async apply(objects) {
      await gate;
      applied.push([...objects]);
      return {
        applyer: "recording",
        objects: objects.map((object): ObjectApplyResult => {
          const ref = refOf(object);
          if (failNames.has(object.metadata.name))
            return { ...ref, action: "failed", message: `admission webhook denied ${object.metadata.name}` };
          const key = refKey(ref);
          const before = live.get(key);
          live.set(key, JSON.stringify(object));
          const action =
            before === undefined ? "created" : before === live.get(key) ? "unchanged" : "configured";
          return { ...ref, action };
        }),
      };
    },
    async delete(refs) {
      deleted.push([...refs]);
      for (const ref of refs) live.delete(refKey(ref));
      return { applyer: "recording", objects: refs.map((ref) => ({ ...ref, action: "deleted" as const })) };
    },
  };
  return {
    applyer,
    applied,
    deleted,
    failNames,
    names: () => applied.map((batch) => batch.map((object) => object.metadata.name)),
    /** dryRun answers as `apply` would, changing nothing: a server-side dry-run apply. */
    dryRun: async (objects: readonly KubeObject[]) => objects.map(answer),
    /** editLive changes an object in the "cluster" by hand, as `kubectl edit` would. */
    editLive(ref: ObjectRef) {
      live.set(refKey(ref), "edited by hand");
    },
    /** deleteLive deletes an object from the "cluster" by hand. */
    deleteLive(ref: ObjectRef) {
      live.delete(refKey(ref));
    },
    hold() {
      let release = () => {};
      gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      return () => {
        gate = undefined;
        release();
      };
    },
  };
}

import type { Applyer, ObjectApplyResult } from "../applyers/applyer.js";
import { type KubeObject, type ObjectRef, refKey, refOf } from "../kube/objects.js";

/** aborted resolves when `signal` aborts, or at once when it already has (never without one). */
function aborted(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) resolve();
    signal?.addEventListener("abort", () => resolve(), { once: true });
  });
}

/**
 * recordingApplyer stands in for a cluster in the loop's own tests (the applyers are proven on a real cluster in
 * test/e2e): it records every object it is sent, fails the names it is told to, and answers as a server would:
 * `created` the first time, `unchanged` when the object is the same as the live one, `configured` otherwise. Its
 * live objects can be read back (with a UID, as prune reads them) and edited or deleted "by hand".
 */
export function recordingApplyer() {
  const applied: KubeObject[][] = [];
  const deleted: ObjectRef[][] = [];
  const failNames = new Set<string>();
  const live = new Map<string, KubeObject>();
  let gate: Promise<void> | undefined;
  let onApply: (() => void) | undefined;
  // What the server would answer for an object, without recording it: how the stand-in serves a dry run too.
  const answer = (object: KubeObject): ObjectApplyResult => {
    const ref = refOf(object);
    if (failNames.has(object.metadata.name))
      return { ...ref, action: "failed", message: `admission webhook denied ${object.metadata.name}` };
    const before = live.get(refKey(ref));
    if (before === undefined) return { ...ref, action: "created" };
    return { ...ref, action: JSON.stringify(before) === JSON.stringify(object) ? "unchanged" : "configured" };
  };
  const applyer: Applyer = {
    name: "recording",
    async ensureInstalled() {},
    async apply(objects, opts = {}) {
      onApply?.();
      // A held apply still stops when its sync is aborted, as the real applyers' calls do.
      await Promise.race([gate, aborted(opts.signal)]);
      opts.signal?.throwIfAborted();
      applied.push([...objects]);
      return {
        applyer: "recording",
        objects: objects.map((object) => {
          const result = answer(object);
          if (result.action !== "failed") live.set(refKey(result), structuredClone(object));
          return result;
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
    /** readObject reads a live object, with a UID derived from its identity, as prune and health read them. */
    readObject: async (ref: ObjectRef): Promise<KubeObject | undefined> => {
      const object = live.get(refKey(ref));
      if (!object) return undefined;
      return { ...object, metadata: { ...object.metadata, uid: `uid-${refKey(ref)}` } };
    },
    /** editLive changes an object in the "cluster" by hand, as `kubectl label` would. */
    editLive(ref: ObjectRef) {
      const object = live.get(refKey(ref));
      if (object) object.metadata.labels = { ...object.metadata.labels, "edited-by": "hand" };
    },
    /** deleteLive deletes an object from the "cluster" by hand. */
    deleteLive(ref: ObjectRef) {
      live.delete(refKey(ref));
    },
    /** nextApply resolves when the next apply call starts (a held one included): no test needs to sleep for it. */
    nextApply(): Promise<void> {
      return new Promise((resolve) => {
        onApply = () => {
          onApply = undefined;
          resolve();
        };
      });
    },
    /** hold makes applies wait until the returned release is called; releasing an older hold keeps a newer one. */
    hold() {
      let release = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      gate = held;
      return () => {
        if (gate === held) gate = undefined;
        release();
      };
    },
  };
}

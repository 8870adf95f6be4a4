import yaml from "js-yaml";
import { describeRef, type KubeObject, refOf } from "../kube/objects.js";
import type { Applyer, DeleteRef } from "./applyer.js";

/**
 * createDryRunApplyer sends nothing: it writes each object it is given as a YAML document (and each delete as a
 * comment) to `write`, so `--dry-run` shows exactly what would be applied, after rendering. Every object is
 * reported `configured` with the message "dry run", and every delete `deleted`, so the rest of the loop runs as it
 * would for real.
 */
export function createDryRunApplyer(write: (text: string) => void): Applyer {
  return {
    name: "dry-run",
    async ensureInstalled() {},
    async apply(objects: readonly KubeObject[]) {
      for (const object of objects) write(`---\n${yaml.dump(object, { lineWidth: -1, noRefs: true })}`);
      return {
        applyer: "dry-run",
        objects: objects.map((object) => ({
          ...refOf(object),
          action: "configured" as const,
          message: "dry run",
        })),
      };
    },
    async delete(refs: readonly DeleteRef[]) {
      for (const ref of refs)
        write(`# dry run: would delete ${describeRef(ref)}${ref.uid ? ` (uid ${ref.uid})` : ""}\n`);
      return {
        applyer: "dry-run",
        objects: refs.map(({ uid: _uid, ...ref }) => ({ ...ref, action: "deleted" as const })),
      };
    },
  };
}

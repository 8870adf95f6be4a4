import {
  type KubeObject,
  type ObjectRef,
  refKey,
  refOf,
  SOURCE_PATH_ANNOTATION,
} from "../desired/render/types.js";

/** sourcePaths says which file of git an object (or a workload's health) came from. */
export function sourcePaths(objects: readonly KubeObject[]): (ref: ObjectRef) => string {
  const paths = new Map(
    objects.map((object) => [
      refKey(refOf(object)),
      object.metadata.annotations?.[SOURCE_PATH_ANNOTATION] ?? "?",
    ]),
  );
  return (ref) => paths.get(refKey(ref)) ?? "?";
}

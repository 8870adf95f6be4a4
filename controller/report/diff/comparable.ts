import { COMMIT_ANNOTATION, type KubeObject } from "../../../kube/objects.js";

/**
 * IGNORED_ANNOTATIONS are not what git says: a Deployment's rollout revision (its controller bumps it), client-side
 * `kubectl apply`'s copy of the last applied object, which on a Secret holds its values, and the commit of the
 * last apply, which every new commit moves (applyers/change.ts does not count it either).
 */
export const IGNORED_ANNOTATIONS: readonly string[] = [
  "deployment.kubernetes.io/revision",
  "kubectl.kubernetes.io/last-applied-configuration",
  COMMIT_ANNOTATION,
];

const IGNORED_METADATA = [
  "managedFields",
  "resourceVersion",
  "generation",
  "uid",
  "creationTimestamp",
  "selfLink",
] as const;

/**
 * comparable is an object as a diff shows it: a copy without its status and the bookkeeping the server and other
 * controllers keep in its metadata, none of which git decides.
 */
export function comparable(object: KubeObject): KubeObject {
  const { status: _status, ...rest } = structuredClone(object);
  const metadata = rest.metadata;
  for (const key of IGNORED_METADATA) delete metadata[key];
  if (metadata.annotations) {
    for (const key of IGNORED_ANNOTATIONS) delete metadata.annotations[key];
    if (Object.keys(metadata.annotations).length === 0) delete metadata.annotations;
  }
  return rest;
}

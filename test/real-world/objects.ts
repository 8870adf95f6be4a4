import { MANAGED_BY_LABEL } from "../../kube/objects.js";

/** KubeObject is a rendered Kubernetes object, as YAML loads it. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
  };
  readonly [field: string]: unknown;
}

/** identity names an object as the apiserver does: group-qualified kind, namespace and name. */
export function identity(object: KubeObject): string {
  const group = object.apiVersion.includes("/") ? object.apiVersion.split("/")[0] : "";
  return `${object.kind}.${group} ${object.metadata.namespace ?? ""}/${object.metadata.name}`;
}

const OURS = "simple-gitops.io/";

/**
 * comparable is the object without what simple-gitops puts on every object it applies (its `simple-gitops.io/`
 * labels and annotations, and `app.kubernetes.io/managed-by`, which prune reads and which it sets over an author's
 * own value), so a rendered object equals its reference build exactly when git's content is unchanged.
 */
export function comparable(object: KubeObject): KubeObject {
  const { labels, annotations, ...metadata } = object.metadata;
  const without = (map: Record<string, string> | undefined) => {
    const kept = Object.entries(map ?? {}).filter(
      ([key]) => !key.startsWith(OURS) && key !== MANAGED_BY_LABEL,
    );
    return kept.length > 0 ? Object.fromEntries(kept) : undefined;
  };
  const keptLabels = without(labels);
  const keptAnnotations = without(annotations);
  return {
    ...object,
    metadata: {
      ...metadata,
      ...(keptLabels ? { labels: keptLabels } : {}),
      ...(keptAnnotations ? { annotations: keptAnnotations } : {}),
    },
  };
}

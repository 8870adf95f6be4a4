/** KubeObject is a Kubernetes object as read from git: plain JSON, nothing assumed beyond the header. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** ObjectRef names one object in the cluster. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** MANAGED_BY_LABEL marks every object simple-gitops applied; prune never touches objects without it. */
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
/** MANAGED_BY_VALUE is the value of {@link MANAGED_BY_LABEL} on our objects. */
export const MANAGED_BY_VALUE = "simple-gitops";
/** SERVICE_ANNOTATION names the service an object belongs to. */
export const SERVICE_ANNOTATION = "simple-gitops.io/service";
/**
 * SERVICE_LABEL names the service an object belongs to as a label, so `kubectl get -l` can select a service's
 * objects; service names are DNS labels, so always valid label values. {@link SERVICE_ANNOTATION} stays beside it.
 */
export const SERVICE_LABEL = "simple-gitops.io/service";
/** COMMIT_ANNOTATION names the commit of the service's last apply of an object. */
export const COMMIT_ANNOTATION = "simple-gitops.io/commit";
/** SOURCE_PATH_ANNOTATION names the file in git an object came from. */
export const SOURCE_PATH_ANNOTATION = "simple-gitops.io/source-path";
/** STATELESS_ANNOTATION set to "false" on a workload (or its pod template) skips the stateless bootstrap. */
export const STATELESS_ANNOTATION = "simple-gitops.io/stateless";

/** groupOf returns the API group of an apiVersion ("" for the core group). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? "" : apiVersion.slice(0, slash);
}

/** refOf returns the reference of an object. */
export function refOf(object: KubeObject): ObjectRef {
  const ref: ObjectRef = { apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name };
  if (object.metadata.namespace) ref.namespace = object.metadata.namespace;
  return ref;
}

/**
 * refKey returns a stable identity for a ref. The version is left out on purpose: the same object read
 * through apps/v1 and apps/v1beta2 is one object.
 */
export function refKey(ref: ObjectRef): string {
  return `${groupOf(ref.apiVersion)}/${ref.kind}/${ref.namespace ?? ""}/${ref.name}`;
}

/** describeRef formats a ref for messages: `Deployment apps/web` or `Namespace shop`. */
export function describeRef(ref: ObjectRef): string {
  return ref.namespace ? `${ref.kind} ${ref.namespace}/${ref.name}` : `${ref.kind} ${ref.name}`;
}

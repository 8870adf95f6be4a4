import { mapLimit } from "../common/map-limit.js";
import {
  createDiscovery,
  type KubeRequest,
  type KubeResponse,
  objectPath,
  statusMessage,
} from "../kube/http.js";
import { KubeConfigError } from "../kube/kubeconfig.js";
import { groupOf, type KubeObject, type ObjectRef, refOf } from "../kube/objects.js";
import { applyAction } from "./change.js";

/** DiffAction is what applying an object would do: create it, change it, nothing, or it could not be compared. */
export type DiffAction = "created" | "configured" | "unchanged" | "failed";

/**
 * ObjectDiff is one object compared with the cluster: `live` is the object as it is (absent when it does not
 * exist), `merged` what a server-side apply would make of it (the server's dry-run answer, defaults and other
 * managers' fields included). `message` says why it could not be compared, or how it was.
 */
export interface ObjectDiff extends ObjectRef {
  action: DiffAction;
  live?: KubeObject;
  merged?: KubeObject;
  message?: string;
  /**
   * crdInSet names the CustomResourceDefinition of the same set that defines a kind the server does not serve yet:
   * such an object cannot be compared before a sync applies its CRD first.
   */
  crdInSet?: string;
}

/** ServerDiff compares objects with the cluster without changing anything. */
export interface ServerDiff {
  /** diff returns one result per object, in input order; it rejects only when `signal` aborts or no kubeconfig. */
  diff(objects: readonly KubeObject[], opts?: { signal?: AbortSignal }): Promise<ObjectDiff[]>;
}

/** ServerDiffOptions configure {@link createServerDiff}. */
export interface ServerDiffOptions {
  readonly request: KubeRequest;
  /** concurrency is how many objects are compared at once. Default 4. */
  readonly concurrency?: number;
  /** requestTimeoutMs bounds each apiserver call; one that takes longer fails its object. Default 30 s. */
  readonly requestTimeoutMs?: number;
}

// The same apply the api applyer sends (see kube-api.ts), answered by the server without being persisted.
// https://kubernetes.io/docs/reference/using-api/api-concepts/#dry-run
const DRY_RUN_APPLY_QUERY = "?fieldManager=simple-gitops&force=true&fieldValidation=Strict&dryRun=All";

/**
 * createServerDiff compares each object with the cluster as fluxcd/pkg `ssa/manager_diff.go` does: it reads the
 * live object, sends the same server-side apply as a sync with `dryRun=All`, and compares the two, status and
 * bookkeeping aside (see change.ts). The server's answer, not a local merge, says what would change: defaults,
 * admission and fields held by other managers are all accounted for. Nothing is written to the cluster.
 */
export function createServerDiff(options: ServerDiffOptions): ServerDiff {
  const { concurrency = 4, requestTimeoutMs = 30_000 } = options;
  return {
    async diff(objects, opts = {}) {
      const { signal } = opts;
      signal?.throwIfAborted();
      const bounds = { timeoutMs: requestTimeoutMs, ...(signal ? { signal } : {}) };
      const request: KubeRequest = (method, path, body, requestOptions) =>
        options.request(method, path, body, { ...requestOptions, ...bounds });
      // A discovery per call: a CRD applied since the last call is found without waiting for a cache to expire.
      const discovery = createDiscovery(request);
      return mapLimit(objects, concurrency, async (object): Promise<ObjectDiff> => {
        const ref = refOf(object);
        try {
          signal?.throwIfAborted();
          const resource = await discovery.resource(object.apiVersion, object.kind);
          if (!resource) {
            const crd = definingCrd(object, objects);
            const unknown = { ...ref, action: "failed" as const, message: unknownKind(object, crd) };
            return crd ? { ...unknown, crdInSet: crd.metadata.name } : unknown;
          }
          const body = structuredClone(object);
          if (!resource.namespaced) delete body.metadata.namespace;
          const path = objectPath(object.apiVersion, resource, body.metadata.namespace, body.metadata.name);
          const before = await request("GET", path);
          if (before.status !== 200 && before.status !== 404)
            return { ...ref, action: "failed", message: `reading it: ${statusMessage(before)}` };
          const live = before.status === 404 ? undefined : (before.body as KubeObject);
          const after = await request("PATCH", path + DRY_RUN_APPLY_QUERY, body, {
            contentType: "application/apply-patch+yaml",
          });
          if (after.status < 200 || after.status > 299) return failedApply(ref, body, after, objects, live);
          const merged = after.body as KubeObject;
          if (!live) return { ...ref, action: "created", merged };
          return {
            ...ref,
            action: applyAction(live, merged, body) === "unchanged" ? "unchanged" : "configured",
            live,
            merged,
          };
        } catch (error: unknown) {
          if (signal?.aborted || error instanceof KubeConfigError) throw error;
          return { ...ref, action: "failed", message: (error as Error).message };
        }
      });
    },
  };
}

/** definingCrd is the CustomResourceDefinition of `set` that defines `object`'s kind, if one does. */
function definingCrd(object: KubeObject, set: readonly KubeObject[]): KubeObject | undefined {
  const group = groupOf(object.apiVersion);
  return set.find((candidate) => {
    if (
      candidate.kind !== "CustomResourceDefinition" ||
      groupOf(candidate.apiVersion) !== "apiextensions.k8s.io"
    )
      return false;
    const spec = candidate.spec as { group?: unknown; names?: { kind?: unknown } } | undefined;
    return spec?.group === group && spec.names?.kind === object.kind;
  });
}

/** unknownKind explains a kind the server does not serve, naming the CRD of the same set that would define it. */
function unknownKind(object: KubeObject, crd: KubeObject | undefined): string {
  const base = `the server has no ${object.kind} in ${object.apiVersion}`;
  return crd
    ? `${base}: its CustomResourceDefinition ${crd.metadata.name} is in the same set and not applied yet, so it cannot be compared before a sync`
    : `${base}: is its CustomResourceDefinition installed?`;
}

/**
 * failedApply turns a refused dry run into a result. One refusal is expected rather than a failure: an object in a
 * namespace that does not exist yet but is created by the same set would be created, so it is reported as created,
 * as sent (the server could not add its defaults).
 */
function failedApply(
  ref: ObjectRef,
  body: KubeObject,
  response: KubeResponse,
  set: readonly KubeObject[],
  live: KubeObject | undefined,
): ObjectDiff {
  const details = (response.body as { reason?: unknown; details?: { kind?: unknown; name?: unknown } }) ?? {};
  const missingNamespace =
    response.status === 404 &&
    details.reason === "NotFound" &&
    details.details?.kind === "namespaces" &&
    details.details.name === body.metadata.namespace;
  const namespaceInSet = set.some(
    (object) =>
      object.apiVersion === "v1" &&
      object.kind === "Namespace" &&
      object.metadata.name === body.metadata.namespace,
  );
  if (missingNamespace && namespaceInSet && !live) {
    return {
      ...ref,
      action: "created",
      merged: body,
      message: `namespace ${body.metadata.namespace} is created by the same set; shown as sent, without server defaults`,
    };
  }
  return { ...ref, action: "failed", message: statusMessage(response) };
}

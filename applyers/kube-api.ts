import type { Logger } from "pino";
import { type Clock, systemClock } from "../common/clock.js";
import { mapLimit } from "../common/map-limit.js";
import { createDiscovery, type KubeRequest, objectPath, statusMessage } from "../kube/http.js";
import { KubeConfigError, lazyKubeRequest } from "../kube/kubeconfig.js";
import { describeRef, type KubeObject, type ObjectRef, refOf } from "../kube/objects.js";
import {
  type Applyer,
  ApplyerUnavailableError,
  type ApplyResult,
  type DeleteResult,
  type ObjectApplyResult,
  type ObjectDeleteResult,
} from "./applyer.js";
import { applyAction, FIELD_MANAGER } from "./change.js";
import { applyInPhases } from "./phases.js";
import { takenOver } from "./takeover.js";

/** KubeApiApplyerOptions configure {@link createKubeApiApplyer}. */
export interface KubeApiApplyerOptions {
  /** request is the apiserver client; by default one that loads the kubeconfig on first use. */
  request?: KubeRequest;
  crdEstablishedTimeoutMs?: number;
  concurrency?: number;
  clock?: Clock;
  log: Logger;
}

/**
 * APPLY_CONCURRENCY bounds the objects in flight within one phase: enough to keep the apiserver busy (measured: 50
 * objects 2.1 s at 4, see bench/apply-throughput.ts), few enough not to crowd out other clients.
 */
export const APPLY_CONCURRENCY = 8;
// A new CRD is usually Established within a few hundred ms: poll fast first, then every 250 ms.
const ESTABLISHED_POLL_MS = [25, 50, 100, 250] as const;
// Git is the source of truth: fields another manager holds are taken over (and reported), as Flux does; a
// misspelled field is an error, as it is for `kubectl apply --server-side`.
const APPLY_QUERY = `?fieldManager=${FIELD_MANAGER}&force=true&fieldValidation=Strict`;

/**
 * createKubeApiApplyer applies with server-side apply straight to the apiserver (`PATCH` with
 * `application/apply-patch+yaml`, field manager `simple-gitops`, conflicts forced, strict field validation), using
 * discovery to find each kind's resource and scope. Each object is read before it is applied and compared with what
 * the apply returns, status and bookkeeping aside (see change.ts): absent means created, a difference configured,
 * none unchanged; the managed fields of both say which fields were taken over from other managers. Namespaces and
 * CRDs go first and new CRDs are waited for until Established, so custom resources in the same set find their kind.
 */
export function createKubeApiApplyer(options: KubeApiApplyerOptions): Applyer {
  const { log, concurrency = APPLY_CONCURRENCY, clock = systemClock } = options;
  const name = "api";
  const raw = options.request ?? lazyKubeRequest();
  const request: KubeRequest = async (...args) => {
    try {
      return await raw(...args);
    } catch (error: unknown) {
      if (error instanceof KubeConfigError)
        throw new ApplyerUnavailableError(name, error.message, { cause: error });
      throw error;
    }
  };
  const discovery = createDiscovery(request);

  async function applyOne(object: KubeObject, signal?: AbortSignal): Promise<ObjectApplyResult> {
    const ref = refOf(object);
    const abortable = signal ? { signal } : {};
    try {
      const resource = await discovery.resource(object.apiVersion, object.kind);
      if (!resource) {
        return {
          ...ref,
          action: "failed",
          message: `the server has no ${object.kind} in ${object.apiVersion}`,
        };
      }
      const body = structuredClone(object);
      if (!resource.namespaced) delete body.metadata.namespace;
      const path = objectPath(object.apiVersion, resource, body.metadata.namespace, body.metadata.name);
      const before = await request("GET", path, undefined, abortable);
      if (before.status !== 200 && before.status !== 404) {
        return { ...ref, action: "failed", message: statusMessage(before) };
      }
      const after = await request("PATCH", path + APPLY_QUERY, body, {
        contentType: "application/apply-patch+yaml",
        ...abortable,
      });
      if (after.status < 200 || after.status > 299)
        return { ...ref, action: "failed", message: statusMessage(after) };
      const live = before.status === 404 ? undefined : (before.body as KubeObject);
      const applied = after.body as KubeObject;
      const fields = takenOver(live, applied, FIELD_MANAGER);
      return {
        ...ref,
        action: applyAction(live, applied, body),
        ...(fields.length > 0 ? { takenOver: fields } : {}),
      };
    } catch (error: unknown) {
      // An aborted sync stops here, whole: what it would still send must not be sent.
      if (error instanceof ApplyerUnavailableError || signal?.aborted) throw error;
      return { ...ref, action: "failed", message: (error as Error).message };
    }
  }

  async function waitEstablished(crds: readonly ObjectApplyResult[], signal?: AbortSignal): Promise<void> {
    const deadline = clock.monotonic() + (options.crdEstablishedTimeoutMs ?? 60_000);
    for (const crd of crds) {
      for (let attempt = 0; ; attempt++) {
        const res = await request(
          "GET",
          `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.name}`,
          undefined,
          signal ? { signal } : {},
        );
        const conditions = (
          (res.body as KubeObject).status as { conditions?: { type: string; status: string }[] }
        )?.conditions;
        if (conditions?.some((c) => c.type === "Established" && c.status === "True")) break;
        if (clock.monotonic() >= deadline) {
          // Not fatal here: its custom resources fail with the server's own reason.
          log.warn({ applyer: name, crd: crd.name }, "CRD not established in time");
          return;
        }
        signal?.throwIfAborted();
        await clock.sleep(ESTABLISHED_POLL_MS[Math.min(attempt, ESTABLISHED_POLL_MS.length - 1)] as number);
      }
    }
  }

  return {
    name,
    async ensureInstalled() {
      // Reading the API root proves the kubeconfig loads and the server answers, before anything is sent.
      const root = await request("GET", "/api");
      if (root.status !== 200)
        throw new ApplyerUnavailableError(name, `the apiserver answered ${statusMessage(root)}`);
    },

    async apply(objects, opts = {}): Promise<ApplyResult> {
      const { signal } = opts;
      const results = await applyInPhases(objects, {
        applyBatch: (batch) => mapLimit(batch, concurrency, (object) => applyOne(object, signal)),
        waitEstablished: (crds) => waitEstablished(crds, signal),
      });
      return { applyer: name, objects: results };
    },

    async delete(refs, opts = {}): Promise<DeleteResult> {
      const abortable = opts.signal ? { signal: opts.signal } : {};
      const objects = await mapLimit(
        refs,
        concurrency,
        async ({ uid, ...ref }): Promise<ObjectDeleteResult> => {
          try {
            opts.signal?.throwIfAborted();
            const resource = await discovery.resource(ref.apiVersion, ref.kind);
            if (!resource)
              return {
                ...ref,
                action: "not-found",
                message: `the server has no ${ref.kind} in ${ref.apiVersion}`,
              };
            const path = objectPath(ref.apiVersion, resource, ref.namespace, ref.name);
            const res = await request("DELETE", path, deleteOptions(uid), abortable);
            if (res.status === 404) return { ...ref, action: "not-found" };
            if (res.status >= 200 && res.status <= 299) return { ...ref, action: "deleted" };
            // 409 on a DELETE is a failed precondition: the object was re-created since it was read.
            if (res.status === 409 && uid) return { ...ref, action: "conflict", message: statusMessage(res) };
            return { ...ref, action: "failed", message: statusMessage(res) };
          } catch (error: unknown) {
            if (error instanceof ApplyerUnavailableError || opts.signal?.aborted) throw error;
            return { ...ref, action: "failed", message: `${describeRef(ref)}: ${(error as Error).message}` };
          }
        },
      );
      return { applyer: name, objects };
    },
  };
}

/**
 * deleteOptions is the body of a DELETE: dependents are removed in the background (as `kubectl delete` does), and
 * with a `uid` the server deletes only the object that has it, answering 409 Conflict otherwise
 * (https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/delete-options/).
 */
export function deleteOptions(uid?: string) {
  return {
    kind: "DeleteOptions",
    apiVersion: "v1",
    propagationPolicy: "Background",
    ...(uid ? { preconditions: { uid } } : {}),
  };
}

/**
 * createKubeObjectReader returns a `read(ref)` for health waits and prune label checks: the live object, or
 * undefined when it does not exist.
 */
export function createKubeObjectReader(
  request: KubeRequest,
): (ref: ObjectRef) => Promise<KubeObject | undefined> {
  const discovery = createDiscovery(request);
  return async (ref) => {
    const resource = await discovery.resource(ref.apiVersion, ref.kind);
    if (!resource) return undefined;
    const res = await request("GET", objectPath(ref.apiVersion, resource, ref.namespace, ref.name));
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw new Error(`${describeRef(ref)}: ${statusMessage(res)}`);
    return res.body as KubeObject;
  };
}

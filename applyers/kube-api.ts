import type { Logger } from "pino";
import { type Clock, systemClock } from "../common/clock.js";
import { mapLimit } from "../common/map-limit.js";
import { createDiscovery, type KubeRequest, objectPath, statusMessage } from "../kube/http.js";
import { KubeConfigError, lazyKubeRequest } from "../kube/kubeconfig.js";
import { describeRef, type KubeObject, type ObjectRef } from "../kube/objects.js";
import { type Applyer, ApplyerUnavailableError, type ApplyResult, type DeleteResult } from "./applyer.js";
import { kubeApiApplyOne } from "./kube-api-apply.js";
import { kubeApiDeleteOne } from "./kube-api-delete.js";
import { kubeApiWaitEstablished } from "./kube-api-wait.js";
import { applyInPhases } from "./phases.js";

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
      const timeoutMs = options.crdEstablishedTimeoutMs ?? 60_000;
      const results = await applyInPhases(objects, {
        applyBatch: (batch) =>
          mapLimit(batch, concurrency, (object) => kubeApiApplyOne(request, discovery, object, signal)),
        waitEstablished: async (crds) => {
          const late = await kubeApiWaitEstablished(request, crds, { clock, timeoutMs, signal });
          // Not fatal here: its custom resources fail with the server's own reason.
          if (late !== undefined) log.warn({ applyer: name, crd: late }, "CRD not established in time");
        },
      });
      return { applyer: name, objects: results };
    },

    async delete(refs, opts = {}): Promise<DeleteResult> {
      const { signal } = opts;
      const objects = await mapLimit(refs, concurrency, (ref) =>
        kubeApiDeleteOne(request, discovery, ref, signal),
      );
      return { applyer: name, objects };
    },
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

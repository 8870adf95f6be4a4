import { KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { describeRef, type KubeObject, type ObjectRef, refOf } from "../controller/render/types.js";
import {
  type Applyer,
  ApplyerUnavailableError,
  type ApplyResult,
  type DeleteResult,
  type ObjectApplyResult,
  type ObjectDeleteResult,
} from "./applyer.js";
import { applyAction } from "./change.js";
import { type Clock, systemClock } from "./health.js";
import {
  createDiscovery,
  createKubeRequest,
  type KubeRequest,
  objectPath,
  statusMessage,
} from "./kube-http.js";
import { mapLimit } from "./run.js";

/** KubeApiApplyerOptions configure {@link createKubeApiApplyer}. */
export interface KubeApiApplyerOptions {
  /** kubeConfig to use; by default loaded once from $KUBECONFIG, ~/.kube/config or in-cluster. */
  kubeConfig?: KubeConfig;
  /** forceConflicts takes ownership of fields another manager set; off unless configured. */
  forceConflicts?: boolean;
  crdEstablishedTimeoutMs?: number;
  concurrency?: number;
  clock?: Clock;
  /** request replaces the HTTP transport (tests); by default built from the kubeconfig. */
  request?: KubeRequest;
  log: Logger;
}

const FIELD_MANAGER = "simple-gitops";

/**
 * createKubeApiApplyer applies with server-side apply straight to the apiserver (`PATCH` with
 * `application/apply-patch+yaml`, field manager `simple-gitops`, `force` only when configured), using discovery to
 * find each kind's resource and scope. Each object is read before it is applied and compared with what the apply
 * returns, status and bookkeeping aside (see change.ts): absent means created, a difference configured, none
 * unchanged. Namespaces and CRDs go first and new CRDs are waited for
 * until Established, so custom resources in the same set find their kind.
 */
export function createKubeApiApplyer(options: KubeApiApplyerOptions): Applyer {
  const { log, concurrency = 4, clock = systemClock } = options;
  const name = "api";
  let request: KubeRequest | undefined = options.request;
  let discovery: ReturnType<typeof createDiscovery> | undefined;

  function client() {
    if (!request) {
      const kc = options.kubeConfig ?? new KubeConfig();
      try {
        if (!options.kubeConfig) kc.loadFromDefault();
        if (!kc.getCurrentCluster()) throw new Error("no current cluster");
      } catch (error: unknown) {
        throw new ApplyerUnavailableError(name, `no usable kubeconfig: ${(error as Error).message}`, {
          cause: error,
        });
      }
      request = createKubeRequest(kc);
    }
    discovery ??= createDiscovery(request);
    return { request, discovery };
  }

  async function applyOne(object: KubeObject): Promise<ObjectApplyResult> {
    const ref = refOf(object);
    const { request, discovery } = client();
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
      const before = await request("GET", path);
      if (before.status !== 200 && before.status !== 404) {
        return { ...ref, action: "failed", message: statusMessage(before) };
      }
      const query = `?fieldManager=${FIELD_MANAGER}${options.forceConflicts ? "&force=true" : ""}`;
      const after = await request("PATCH", path + query, body, "application/apply-patch+yaml");
      if (after.status < 200 || after.status > 299)
        return { ...ref, action: "failed", message: statusMessage(after) };
      const live = before.status === 404 ? undefined : (before.body as KubeObject);
      return { ...ref, action: applyAction(live, after.body as KubeObject) };
    } catch (error: unknown) {
      if (error instanceof ApplyerUnavailableError) throw error;
      return { ...ref, action: "failed", message: (error as Error).message };
    }
  }

  async function waitEstablished(crds: ObjectApplyResult[]): Promise<void> {
    const deadline = clock.now() + (options.crdEstablishedTimeoutMs ?? 60_000);
    const { request } = client();
    for (const crd of crds) {
      for (;;) {
        const res = await request(
          "GET",
          `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.name}`,
        );
        const conditions = (
          (res.body as KubeObject).status as { conditions?: { type: string; status: string }[] }
        )?.conditions;
        if (conditions?.some((c) => c.type === "Established" && c.status === "True")) break;
        if (clock.now() >= deadline) {
          // Not fatal here: its custom resources fail with the server's own reason.
          log.warn({ applyer: name, crd: crd.name }, "CRD not established in time");
          return;
        }
        await clock.sleep(250);
      }
    }
  }

  return {
    name,
    async ensureInstalled() {
      client();
    },

    async apply(objects): Promise<ApplyResult> {
      const results = new Map<KubeObject, ObjectApplyResult>();
      const first = objects.filter(isPrerequisite);
      for (const object of first) results.set(object, await applyOne(object));
      const crds = first
        .filter((o) => o.kind === "CustomResourceDefinition")
        .map((o) => results.get(o) as ObjectApplyResult)
        .filter((r) => r.action !== "failed");
      await waitEstablished(crds);
      const rest = objects.filter((o) => !isPrerequisite(o));
      const done = await mapLimit(rest, concurrency, applyOne);
      for (const [i, o] of rest.entries()) results.set(o, done[i] as ObjectApplyResult);
      return { applyer: name, objects: objects.map((o) => results.get(o) as ObjectApplyResult) };
    },

    async delete(refs): Promise<DeleteResult> {
      const objects = await mapLimit(refs, concurrency, async (ref): Promise<ObjectDeleteResult> => {
        const { request, discovery } = client();
        try {
          const resource = await discovery.resource(ref.apiVersion, ref.kind);
          if (!resource)
            return {
              ...ref,
              action: "not-found",
              message: `the server has no ${ref.kind} in ${ref.apiVersion}`,
            };
          const path = objectPath(ref.apiVersion, resource, ref.namespace, ref.name);
          const res = await request("DELETE", path, {
            kind: "DeleteOptions",
            apiVersion: "v1",
            propagationPolicy: "Background",
          });
          if (res.status === 404) return { ...ref, action: "not-found" };
          if (res.status >= 200 && res.status <= 299) return { ...ref, action: "deleted" };
          return { ...ref, action: "failed", message: statusMessage(res) };
        } catch (error: unknown) {
          if (error instanceof ApplyerUnavailableError) throw error;
          return { ...ref, action: "failed", message: `${describeRef(ref)}: ${(error as Error).message}` };
        }
      });
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

function isPrerequisite(object: KubeObject): boolean {
  return (
    (object.kind === "Namespace" && object.apiVersion === "v1") || object.kind === "CustomResourceDefinition"
  );
}

import { readFile } from "node:fs/promises";
import yaml from "js-yaml";
import { Agent, request } from "undici";
import { CRD_KINDS } from "./fixtures.js";

/** KubeHttp is the least client there is: undici with the kubeconfig's client certificate, nothing else. */
export interface KubeHttp {
  patch(path: string, body: string, contentType: string): Promise<void>;
  close(): Promise<void>;
}

interface KubeconfigFile {
  clusters: { name: string; cluster: { server: string; "certificate-authority-data"?: string } }[];
  users: { name: string; user: { "client-certificate-data"?: string; "client-key-data"?: string } }[];
  contexts: { name: string; context: { cluster: string; user: string } }[];
  "current-context": string;
}

const decode = (data: string | undefined) => (data ? Buffer.from(data, "base64").toString() : undefined);

/** bareKubeHttp reads the current context of a client-certificate kubeconfig (the test cluster's kind). */
export async function bareKubeHttp(kubeconfig: string): Promise<KubeHttp> {
  const file = yaml.load(await readFile(kubeconfig, "utf8")) as KubeconfigFile;
  const context = file.contexts.find((c) => c.name === file["current-context"])?.context;
  const cluster = file.clusters.find((c) => c.name === context?.cluster)?.cluster;
  const user = file.users.find((u) => u.name === context?.user)?.user;
  if (!cluster || !user) throw new Error(`${kubeconfig}: no cluster or user for the current context`);
  const agent = new Agent({
    connections: 16,
    connect: {
      ca: decode(cluster["certificate-authority-data"]),
      cert: decode(user["client-certificate-data"]),
      key: decode(user["client-key-data"]),
    },
  });
  return {
    async patch(path, body, contentType) {
      const response = await request(`${cluster.server}${path}`, {
        method: "PATCH",
        body,
        headers: { "content-type": contentType },
        dispatcher: agent,
        signal: AbortSignal.timeout(30_000),
      });
      const text = await response.body.text();
      if (response.statusCode >= 300)
        throw new Error(`PATCH ${path}: ${response.statusCode} ${text.slice(0, 300)}`);
    },
    close: () => agent.close(),
  };
}

const BUILT_IN: Record<string, { prefix: string; plural: string; namespaced: boolean }> = {
  Namespace: { prefix: "/api/v1", plural: "namespaces", namespaced: false },
  ConfigMap: { prefix: "/api/v1", plural: "configmaps", namespaced: true },
  Service: { prefix: "/api/v1", plural: "services", namespaced: true },
  ServiceAccount: { prefix: "/api/v1", plural: "serviceaccounts", namespaced: true },
  Deployment: { prefix: "/apis/apps/v1", plural: "deployments", namespaced: true },
  StatefulSet: { prefix: "/apis/apps/v1", plural: "statefulsets", namespaced: true },
  ClusterRole: { prefix: "/apis/rbac.authorization.k8s.io/v1", plural: "clusterroles", namespaced: false },
  ClusterRoleBinding: {
    prefix: "/apis/rbac.authorization.k8s.io/v1",
    plural: "clusterrolebindings",
    namespaced: false,
  },
  Role: { prefix: "/apis/rbac.authorization.k8s.io/v1", plural: "roles", namespaced: true },
  RoleBinding: { prefix: "/apis/rbac.authorization.k8s.io/v1", plural: "rolebindings", namespaced: true },
  CustomResourceDefinition: {
    prefix: "/apis/apiextensions.k8s.io/v1",
    plural: "customresourcedefinitions",
    namespaced: false,
  },
};

interface Applied {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

/** objectPath is the URL path of one fixture object (built-in kinds and the fixture's own CRDs only). */
export function objectPath(object: Applied): string {
  const custom = CRD_KINDS.find((k) => k.kind === object.kind);
  const type = custom
    ? { prefix: `/apis/${object.apiVersion}`, plural: custom.plural, namespaced: true }
    : BUILT_IN[object.kind];
  if (!type) throw new Error(`bare apply: no path known for kind ${object.kind}`);
  const ns = type.namespaced ? `/namespaces/${object.metadata.namespace ?? "default"}` : "";
  return `${type.prefix}${ns}/${type.plural}/${encodeURIComponent(object.metadata.name)}`;
}

/**
 * bareApply is the apiserver's own limit for a set: server-side apply PATCHes, `concurrency` at a time, CRDs first,
 * then namespaces, then the rest (a custom resource needs its CRD, a namespaced object its namespace).
 */
export async function bareApply(http: KubeHttp, objects: readonly Applied[], concurrency = 8): Promise<void> {
  const phase = (o: Applied) => (o.kind === "CustomResourceDefinition" ? 0 : o.kind === "Namespace" ? 1 : 2);
  for (const current of [0, 1, 2]) {
    const queue = objects.filter((o) => phase(o) === current);
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        await http.patch(
          `${objectPath(next)}?fieldManager=bench-bare&force=true`,
          JSON.stringify(next),
          "application/apply-patch+yaml",
        );
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }
}

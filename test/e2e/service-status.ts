import { randomBytes } from "node:crypto";
import type { AuditEvent } from "../../controller/record/state/state.js";
import type { ServiceView } from "../../controller/report/server/views.js";
import { kubectlJson, waitFor } from "./cluster.js";
import type { ControllerProcess } from "./controller-process.js";

// What the issue-26 e2e tests read from a running controller and from the cluster: a service's status, the audit
// trail, and a service's live objects as a comparable fingerprint.

/** serviceView is `/v1/gitops/services/{name}` of a running controller. */
export async function serviceView(controller: ControllerProcess, name: string): Promise<ServiceView> {
  return (await (await fetch(`${controller.url}/v1/gitops/services/${name}`)).json()) as ServiceView;
}

/** auditEvents is the controller's audit trail, oldest first (the API answers newest first). */
export async function auditEvents(controller: ControllerProcess): Promise<AuditEvent[]> {
  const answer = await fetch(`${controller.url}/v1/gitops/events?limit=200`);
  return ((await answer.json()) as { events: AuditEvent[] }).events.reverse();
}

/** landedAt waits until `name` has landed `commit` and is deployed, and returns its view. */
export function landedAt(controller: ControllerProcess, name: string, commit: string): Promise<ServiceView> {
  return waitFor(
    async () => {
      const view = await serviceView(controller, name);
      return view.state === "deployed" && view.last_commit_id === commit ? view : undefined;
    },
    {
      timeoutMs: 90_000,
      what: `${name} to land ${commit}`,
      describe: async () => JSON.stringify(await serviceView(controller, name)),
    },
  );
}

/** deployment is a one-replica Deployment; with `pool`, a nodeSelector no node of the test cluster matches. */
export function deployment(name: string, pool?: string): string {
  const selector = pool ? `\n      nodeSelector: { simple-gitops-test/pool: ${pool} }` : "";
  return `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name} }
spec:
  replicas: 1
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:${selector}
      containers: [{ name: web, image: nginx:1.27 }]
`;
}

/** configMap is a ConfigMap manifest holding one value. */
export function configMap(name: string, value: string): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name} }\ndata: { value: "${value}" }\n`;
}

/** WidgetKind is a namespaced custom resource kind `Widget` of its own API group, and manifests of it. */
export interface WidgetKind {
  readonly group: string;
  /** crd is the CustomResourceDefinition `widgets.<group>`. */
  readonly crd: string;
  /** widget is a Widget named `name`, with `finalizer` when given (one its operator would remove). */
  readonly widget: (name: string, finalizer?: string) => string;
}

/**
 * widgetKind makes a Widget kind of a random group, so that tests sharing the cluster never share a CRD; the caller
 * deletes `widgets.<group>` when done.
 */
export function widgetKind(): WidgetKind {
  const group = `e2e-${randomBytes(4).toString("hex")}.example.com`;
  const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: widgets.${group} }
spec:
  group: ${group}
  scope: Namespaced
  names: { plural: widgets, singular: widget, kind: Widget, listKind: WidgetList }
  versions:
    - name: v1
      served: true
      storage: true
      schema: { openAPIV3Schema: { type: object, x-kubernetes-preserve-unknown-fields: true } }
`;
  const widget = (name: string, finalizer?: string) =>
    `apiVersion: ${group}/v1\nkind: Widget\nmetadata: { name: ${name}${finalizer ? `, finalizers: [${finalizer}]` : ""} }\nspec: { size: 1 }\n`;
  return { group, crd, widget };
}

interface LiveObject {
  kind: string;
  metadata: { name: string; uid: string; annotations?: Record<string, string> };
  data?: unknown;
  spec?: { template?: unknown };
}

/**
 * liveSet fingerprints a service's live objects of `kinds` in a namespace, found by its label: per `Kind/name`, its
 * UID, the commit annotation of its last apply, and what a sync sets (a ConfigMap's data, a workload's pod template).
 * Two equal fingerprints are the same objects with the same contents.
 */
export async function liveSet(
  namespace: string,
  service: string,
  kinds: readonly string[],
): Promise<Record<string, unknown>> {
  const list = await kubectlJson<{ items: LiveObject[] }>([
    "-n",
    namespace,
    "get",
    kinds.join(","),
    "-l",
    `simple-gitops.io/service=${service}`,
  ]);
  return Object.fromEntries(
    list.items.map((item) => [
      `${item.kind}/${item.metadata.name}`,
      {
        uid: item.metadata.uid,
        commit: item.metadata.annotations?.["simple-gitops.io/commit"],
        content: item.data ?? item.spec?.template,
      },
    ]),
  );
}

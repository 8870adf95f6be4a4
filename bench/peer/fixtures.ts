/**
 * Generated fixture repositories for the peer benchmark: a monitoring-like stack (CRDs and their custom resources,
 * RBAC, workloads with `replicas: 0`, a large list of ConfigMaps), a one-ConfigMap repository for change latency and
 * small idle repositories. Each contender gets its own copy, identical but for the names (namespace, API group,
 * cluster-scoped names), so two controllers never fight over one object. Every object carries the labels
 * `bench.simple-gitops.io/stack` (which copy) and `…/version` (bumped by every measured commit).
 */
import yaml from "js-yaml";

export const STACK_LABEL = "bench.simple-gitops.io/stack";
export const VERSION_LABEL = "bench.simple-gitops.io/version";

type Obj = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels: Record<string, string> };
};

export const CRD_KINDS = [
  { kind: "ScrapeTarget", plural: "scrapetargets" },
  { kind: "AlertRule", plural: "alertrules" },
  { kind: "AlertRoute", plural: "alertroutes" },
  { kind: "Dashboard", plural: "dashboards" },
] as const;
const RESOURCES_PER_KIND = 10;
const CONFIGMAPS = 40;
const COMPONENTS = ["collector", "alerting", "dashboards", "gateway"] as const;

function group(stack: string): string {
  return `${stack}.monitoring.bench.example`;
}

/** stackNamespace is the namespace of a stack copy's namespaced objects. */
export function stackNamespace(stack: string): string {
  return `peer-${stack}`;
}

/** stackWatchPaths are the collection paths a watcher needs to see every object of a stack copy change. */
export function stackWatchPaths(stack: string): string[] {
  return CRD_KINDS.map(({ plural }) => `/apis/${group(stack)}/v1/${plural}`);
}

/** SHARED_WATCH_PATHS are the built-in collections the stacks (and the small repositories) use, cluster-wide. */
export const SHARED_WATCH_PATHS = [
  "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
  "/api/v1/namespaces",
  "/api/v1/serviceaccounts",
  "/api/v1/configmaps",
  "/api/v1/services",
  "/apis/rbac.authorization.k8s.io/v1/clusterroles",
  "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
  "/apis/rbac.authorization.k8s.io/v1/roles",
  "/apis/rbac.authorization.k8s.io/v1/rolebindings",
  "/apis/apps/v1/deployments",
  "/apis/apps/v1/statefulsets",
] as const;

function meta(stack: string, version: number, name: string, namespace?: string): Obj["metadata"] {
  return {
    name,
    ...(namespace ? { namespace } : {}),
    labels: {
      [STACK_LABEL]: stack,
      [VERSION_LABEL]: String(version),
      "app.kubernetes.io/part-of": "monitoring",
    },
  };
}

function crds(stack: string, version: number): Obj[] {
  return CRD_KINDS.map(({ kind, plural }) => ({
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: meta(stack, version, `${plural}.${group(stack)}`),
    spec: {
      group: group(stack),
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      scope: "Namespaced",
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: "object",
              properties: { spec: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
            },
          },
        },
      ],
    },
  }));
}

function rbac(stack: string, version: number, ns: string): Obj[] {
  const objects: Obj[] = [];
  for (const component of COMPONENTS.slice(0, 3)) {
    const name = `${stack}-${component}`;
    objects.push(
      { apiVersion: "v1", kind: "ServiceAccount", metadata: meta(stack, version, component, ns) },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRole",
        metadata: meta(stack, version, name),
        rules: [
          {
            apiGroups: [""],
            resources: ["nodes", "pods", "services", "endpoints"],
            verbs: ["get", "list", "watch"],
          },
          { apiGroups: [group(stack)], resources: ["*"], verbs: ["get", "list", "watch"] },
        ],
      },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRoleBinding",
        metadata: meta(stack, version, name),
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
        subjects: [{ kind: "ServiceAccount", name: component, namespace: ns }],
      },
    );
  }
  for (const component of COMPONENTS.slice(0, 2)) {
    objects.push(
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "Role",
        metadata: meta(stack, version, `${component}-config`, ns),
        rules: [{ apiGroups: [""], resources: ["configmaps", "secrets"], verbs: ["get", "list", "watch"] }],
      },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: meta(stack, version, `${component}-config`, ns),
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: `${component}-config` },
        subjects: [{ kind: "ServiceAccount", name: component, namespace: ns }],
      },
    );
  }
  return objects;
}

function workloads(stack: string, version: number, ns: string): Obj[] {
  return COMPONENTS.flatMap((component, index): Obj[] => {
    const labels = { "app.kubernetes.io/name": component };
    const kind = index < 2 ? "StatefulSet" : "Deployment";
    const pod = {
      metadata: { labels },
      spec: {
        serviceAccountName: index < 3 ? component : "default",
        containers: [
          {
            name: component,
            image: `registry.example/monitoring/${component}:2.${index}.0`,
            args: [`--config=/etc/${component}/config.yaml`, "--log.level=info"],
            ports: [{ name: "http", containerPort: 9090 + index }],
            resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
          },
        ],
      },
    };
    return [
      {
        apiVersion: "apps/v1",
        kind,
        metadata: meta(stack, version, component, ns),
        spec: {
          replicas: 0,
          selector: { matchLabels: labels },
          ...(kind === "StatefulSet" ? { serviceName: component } : {}),
          template: pod,
        },
      },
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: meta(stack, version, component, ns),
        spec: { selector: labels, ports: [{ name: "http", port: 80, targetPort: "http" }] },
      },
    ];
  });
}

function customResources(stack: string, version: number, ns: string): Obj[] {
  return CRD_KINDS.flatMap(({ kind }) =>
    Array.from({ length: RESOURCES_PER_KIND }, (_, i) => ({
      apiVersion: `${group(stack)}/v1`,
      kind,
      metadata: meta(stack, version, `${kind.toLowerCase()}-${i}`, ns),
      spec: {
        selector: { matchLabels: { team: `team-${i % 4}` } },
        interval: `${15 + i}s`,
        rules: Array.from({ length: 4 }, (_, r) => ({
          alert: `${kind}Rule${r}`,
          expr: `rate(http_requests_total{job="svc-${i}",code=~"5.."}[5m]) > ${r / 10}`,
          for: "5m",
        })),
      },
    })),
  );
}

function configMaps(stack: string, version: number, ns: string): Obj[] {
  return Array.from({ length: CONFIGMAPS }, (_, i) => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: meta(stack, version, `dashboard-${String(i).padStart(2, "0")}`, ns),
    data: {
      [`dashboard-${i}.json`]: JSON.stringify({
        title: `Service ${i}`,
        panels: Array.from({ length: 12 }, (_, p) => ({
          id: p,
          type: "timeseries",
          targets: [
            { expr: `sum(rate(http_requests_total{service="svc-${i}"}[1m])) by (code, pod, panel_${p})` },
          ],
        })),
      }),
    },
  }));
}

/** stackObjects is the whole stack copy named `stack` at `version` (106 objects). */
export function stackObjects(stack: string, version: number): Obj[] {
  const ns = stackNamespace(stack);
  return [
    { apiVersion: "v1", kind: "Namespace", metadata: meta(stack, version, ns) },
    ...crds(stack, version),
    ...rbac(stack, version, ns),
    ...workloads(stack, version, ns),
    ...customResources(stack, version, ns),
    ...configMaps(stack, version, ns),
  ];
}

function documents(objects: readonly Obj[]): string {
  return objects.map((object) => yaml.dump(object, { lineWidth: -1, noRefs: true })).join("---\n");
}

/** stackFiles lays the stack out as a repository: deploy/ with one file per part, as people split such stacks. */
export function stackFiles(stack: string, version: number): Record<string, string> {
  const ns = stackNamespace(stack);
  const objects = stackObjects(stack, version);
  const of = (kinds: readonly string[]) => objects.filter((o) => kinds.includes(String(o.kind)));
  return {
    "deploy/00-namespace.yaml": documents(of(["Namespace"])),
    "deploy/01-crds.yaml": documents(of(["CustomResourceDefinition"])),
    "deploy/02-rbac.yaml": documents(
      of(["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"]),
    ),
    "deploy/03-workloads.yaml": documents(of(["Deployment", "StatefulSet", "Service"])),
    "deploy/04-rules.yaml": documents(customResources(stack, version, ns)),
    "deploy/05-dashboards.yaml": documents(of(["ConfigMap"])),
  };
}

/** configMapFiles is a repository holding `count` small ConfigMaps in `namespace`, labelled as stack `stack`. */
export function configMapFiles(
  stack: string,
  namespace: string,
  version: number,
  count = 1,
): Record<string, string> {
  const objects = Array.from({ length: count }, (_, i) => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: meta(stack, version, count === 1 ? stack : `${stack}-${i}`, namespace),
    data: { version: String(version), note: "a small repository the controllers keep polling" },
  }));
  return { "deploy/config.yaml": documents(objects) };
}

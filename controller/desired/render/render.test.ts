import { describe, expect, it } from "vitest";
import { DesiredSetError } from "../errors.js";
import { parseManifests } from "./parse.js";
import { type RenderInput, renderService } from "./render.js";
import { BOOTSTRAP_CONTAINER } from "./stateless.js";
import type { KubeObject, SourcedObject } from "./types.js";

const MANIFESTS = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: nginx, command: [nginx, -g, "daemon off;"]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: edge}
spec: {ports: [{port: 80}]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
rules: []
---
apiVersion: v1
kind: Namespace
metadata: {name: edge}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Cluster
  names: {kind: Widget, plural: widgets}
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w1}
`;

function input(overrides: Partial<RenderInput> = {}): RenderInput {
  const parsed = parseManifests("svc/app.yaml", MANIFESTS);
  const config = parseManifests("svc/settings.json", '{"port": 8080}');
  return {
    service: "shop",
    objects: parsed.objects,
    configFiles: config.configFiles,
    defaultNamespace: "apps",
    stateless: true,
    ...overrides,
  };
}

function find(objects: KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
}

describe("renderService", () => {
  it("orders Namespaces, then CRDs, then what workloads use before the workloads, custom resources last", () => {
    const out = renderService(input());
    expect(out.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      "Namespace/edge",
      "CustomResourceDefinition/widgets.example.com",
      "ConfigMap/shop-config",
      "ClusterRole/reader",
      "Service/web",
      "Deployment/web",
      "Widget/w1",
    ]);
  });

  it.each([
    { name: "namespaced object without namespace", kind: "Deployment", obj: "web", namespace: "apps" },
    { name: "namespaced object with its own namespace", kind: "Service", obj: "web", namespace: "edge" },
    { name: "built-in cluster-scoped kind", kind: "ClusterRole", obj: "reader", namespace: undefined },
    { name: "kind of a cluster-scoped CRD in the same set", kind: "Widget", obj: "w1", namespace: undefined },
    { name: "Namespace", kind: "Namespace", obj: "edge", namespace: undefined },
  ])("defaults the namespace right for a $name", ({ kind, obj, namespace }) => {
    expect(find(renderService(input()), kind, obj).metadata.namespace).toBe(namespace);
  });

  it("labels and annotates every object with ownership and source", () => {
    for (const object of renderService(input())) {
      expect(object.metadata.labels?.["app.kubernetes.io/managed-by"]).toBe("simple-gitops");
      expect(object.metadata.annotations?.["simple-gitops.io/service"]).toBe("shop");
      expect(object.metadata.annotations?.["simple-gitops.io/source-path"]).toMatch(/^svc\//);
    }
  });

  it("labels every object with its service, so `kubectl get -l simple-gitops.io/service=shop` selects them", () => {
    const out = renderService(input());
    expect(out.map((object) => object.metadata.labels?.["simple-gitops.io/service"])).toEqual(
      out.map(() => "shop"),
    );
  });

  it("replaces a service label git sets with the service's own name", () => {
    const own = parseManifests(
      "svc/cm.yaml",
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, labels: {simple-gitops.io/service: other, app: x}}\n",
    );
    const labels = find(renderService(input({ objects: own.objects })), "ConfigMap", "x").metadata.labels;
    expect(labels).toMatchObject({ "simple-gitops.io/service": "shop", app: "x" });
  });

  it("annotates every object with the commit being applied, and with none when rendered without one", () => {
    const commit = "0123456789abcdef0123456789abcdef01234567";
    const out = renderService(input({ commit }));
    expect(out.map((object) => object.metadata.annotations?.["simple-gitops.io/commit"])).toEqual(
      out.map(() => commit),
    );
    for (const object of renderService(input())) {
      expect(object.metadata.annotations).not.toHaveProperty("simple-gitops.io/commit");
    }
  });

  it("puts config JSON files into the {svc}-config ConfigMap under their file names", () => {
    const cm = find(renderService(input()), "ConfigMap", "shop-config");
    expect(cm.metadata.namespace).toBe("apps");
    expect(cm.data).toEqual({ "settings.json": '{"port": 8080}' });
    expect(cm.metadata.annotations?.["simple-gitops.io/source-path"]).toBe("svc/settings.json");
  });

  it("merges config files into a {svc}-config ConfigMap from git", () => {
    const own = parseManifests(
      "svc/cm.yaml",
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shop-config}\ndata: {download_base_url: http://r}\n",
    );
    const out = renderService(input({ objects: own.objects }));
    expect(out.filter((o) => o.kind === "ConfigMap")).toHaveLength(1);
    expect(find(out, "ConfigMap", "shop-config").data).toEqual({
      download_base_url: "http://r",
      "settings.json": '{"port": 8080}',
    });
  });

  it("refuses a ConfigMap key that a config file would overwrite", () => {
    const own = parseManifests(
      "svc/cm.yaml",
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shop-config}\ndata: {"settings.json": "{}"}\n',
    );
    expect(() => renderService(input({ objects: own.objects }))).toThrow(
      /svc\/cm\.yaml: .*key settings\.json/,
    );
  });

  it("refuses an object defined twice", () => {
    const a = parseManifests("svc/a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n").objects;
    const b = parseManifests("svc/b.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n").objects;
    expect(() => renderService(input({ objects: [...a, ...b], configFiles: [] }))).toThrow(
      "svc/b.yaml: ConfigMap apps/x is also defined in svc/a.yaml",
    );
  });

  it("makes workloads stateless only when the service is stateless", () => {
    const inits = (objects: KubeObject[]) =>
      (
        find(objects, "Deployment", "web").spec as {
          template: { spec: { initContainers?: { name: string }[] } };
        }
      ).template.spec.initContainers;
    expect(inits(renderService(input()))?.map((c) => c.name)).toEqual([BOOTSTRAP_CONTAINER]);
    expect(inits(renderService(input({ stateless: false })))).toBeUndefined();
  });

  it.each([
    { name: "stateless", overrides: {} },
    { name: "not stateless", overrides: { stateless: false } },
    { name: "with a download base URL", overrides: { downloadBaseUrl: "http://releases.test" } },
    { name: "with a commit", overrides: { commit: "c0ffee" } },
  ])("is idempotent: rendering the rendered set changes nothing ($name)", ({ overrides }) => {
    const once = renderService(input(overrides));
    const again = renderService(
      input({
        ...overrides,
        objects: once.map(
          (object): SourcedObject => ({
            path: object.metadata.annotations?.["simple-gitops.io/source-path"] ?? "",
            object,
          }),
        ),
      }),
    );
    expect(again).toEqual(once);
  });

  it("does not modify its input", () => {
    const given = input();
    const before = structuredClone(given);
    renderService(given);
    expect(given).toEqual(before);
  });

  function refusal(run: () => unknown): DesiredSetError {
    let caught: unknown;
    try {
      run();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DesiredSetError);
    return caught as DesiredSetError;
  }

  const ALL_CLUSTER_KINDS = ["ClusterRole", "CustomResourceDefinition", "example.com/Widget"];

  it.each([
    {
      name: "object in a namespace outside the list",
      namespaces: ["apps"],
      clusterKinds: ALL_CLUSTER_KINDS,
      refused: /Service edge\/web refused: namespace edge is not in namespaces/,
    },
    {
      name: "Namespace outside the list",
      namespaces: ["apps"],
      clusterKinds: ALL_CLUSTER_KINDS,
      refused: /Namespace edge refused: not in namespaces/,
    },
    {
      name: "cluster-scoped object by default",
      namespaces: ["apps", "edge"],
      clusterKinds: undefined,
      refused:
        /ClusterRole reader refused: cluster-scoped kind rbac.authorization.k8s.io\/ClusterRole is not in cluster_kinds/,
    },
    {
      name: "cluster-scoped kind not in cluster_kinds",
      namespaces: ["apps", "edge"],
      clusterKinds: ["ClusterRole", "CustomResourceDefinition"],
      refused: /Widget w1 refused: cluster-scoped kind example.com\/Widget is not in cluster_kinds/,
    },
    {
      name: "kind listed in cluster_kinds under another group",
      namespaces: ["apps", "edge"],
      clusterKinds: ["ClusterRole", "CustomResourceDefinition", "other.example.com/Widget"],
      refused: /Widget w1 refused/,
    },
  ])("refuses the whole set for a $name", ({ namespaces, clusterKinds, refused }) => {
    const error = refusal(() =>
      renderService(input({ policy: { namespaces, ...(clusterKinds ? { clusterKinds } : {}) } })),
    );
    expect(error.code).toBe("E_NAMESPACE_NOT_ALLOWED");
    expect(error.reason).toMatch(refused);
    // The subject is the file the refused object came from, so the failure names it.
    expect(error.subject).toBe("svc/app.yaml");
  });

  it("accepts a set inside the allowlist, cluster-scoped kinds listed by Kind or group/Kind", () => {
    expect(
      renderService(input({ policy: { namespaces: ["apps", "edge"], clusterKinds: ALL_CLUSTER_KINDS } })),
    ).toHaveLength(7);
  });

  const CLUSTER_ISSUER =
    "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: letsencrypt}\nspec: {}\n";

  it("refuses a kind of unknown scope with an allowlist, instead of giving it a namespace", () => {
    const objects = parseManifests("svc/issuer.yaml", CLUSTER_ISSUER).objects;
    const error = refusal(() =>
      renderService(
        input({
          objects,
          configFiles: [],
          policy: { namespaces: ["apps"], clusterKinds: ["ClusterIssuer"] },
        }),
      ),
    );
    expect(error.subject).toBe("svc/issuer.yaml");
    expect(error.reason).toMatch(
      /ClusterIssuer apps\/letsencrypt refused: the scope of kind cert-manager.io\/ClusterIssuer is not known/,
    );
  });

  it("applies a kind discovery says is cluster-scoped when cluster_kinds lists it, without a namespace", () => {
    const objects = parseManifests("svc/issuer.yaml", CLUSTER_ISSUER).objects;
    const out = renderService(
      input({
        objects,
        configFiles: [],
        clusterScopedKinds: ["cert-manager.io/ClusterIssuer"],
        policy: { namespaces: ["apps"], clusterKinds: ["cert-manager.io/ClusterIssuer"] },
      }),
    );
    expect(out.map((o) => [o.kind, o.metadata.namespace])).toEqual([["ClusterIssuer", undefined]]);
  });

  it("accepts a namespaced custom resource whose CRD is in the set, and one discovery knows", () => {
    const crd = parseManifests(
      "svc/crd.yaml",
      "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: gadgets.example.com}\nspec: {group: example.com, scope: Namespaced, names: {kind: Gadget, plural: gadgets}}\n---\napiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\n---\napiVersion: example.org/v1\nkind: Thing\nmetadata: {name: t}\n",
    ).objects;
    const out = renderService(
      input({
        objects: crd,
        configFiles: [],
        namespacedKinds: ["example.org/Thing"],
        policy: { namespaces: ["apps"], clusterKinds: ["CustomResourceDefinition"] },
      }),
    );
    expect(out.filter((o) => o.kind !== "CustomResourceDefinition").map((o) => o.metadata.namespace)).toEqual(
      ["apps", "apps"],
    );
  });

  it("refuses a ClusterRoleBinding hidden in a List inside a List", () => {
    const nested = parseManifests(
      "svc/nested.yaml",
      [
        "apiVersion: v1",
        "kind: List",
        "items:",
        "- apiVersion: v1",
        "  kind: List",
        "  items:",
        "  - apiVersion: rbac.authorization.k8s.io/v1",
        "    kind: ClusterRoleBinding",
        "    metadata: {name: takeover}",
        "    roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}",
        "    subjects: [{kind: ServiceAccount, name: default, namespace: apps}]",
        "",
      ].join("\n"),
    ).objects;
    const error = refusal(() =>
      renderService(input({ objects: nested, configFiles: [], policy: { namespaces: ["apps"] } })),
    );
    expect(error.subject).toBe("svc/nested.yaml");
    expect(error.reason).toMatch(/ClusterRoleBinding takeover refused: cluster-scoped kind/);
  });
});

import { describe, expect, it } from "vitest";
import { RenderError } from "./errors.js";
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

  it.each([
    {
      name: "object in a namespace outside the list",
      namespaces: ["apps"],
      allowClusterScoped: true,
      refused: /Service edge\/web/,
    },
    {
      name: "Namespace outside the list",
      namespaces: ["apps"],
      allowClusterScoped: true,
      refused: /Namespace edge/,
    },
    {
      name: "cluster-scoped object by default",
      namespaces: ["apps", "edge"],
      allowClusterScoped: false,
      refused: /ClusterRole reader \(cluster-scoped\)/,
    },
  ])("refuses the whole set for a $name", ({ namespaces, allowClusterScoped, refused }) => {
    let caught: unknown;
    try {
      renderService(input({ policy: { namespaces, allowClusterScoped } }));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(RenderError);
    expect((caught as RenderError).code).toBe("E_NAMESPACE_NOT_ALLOWED");
    expect((caught as RenderError).message).toMatch(refused);
  });

  it("accepts a set inside the allowlist", () => {
    expect(
      renderService(input({ policy: { namespaces: ["apps", "edge"], allowClusterScoped: true } })),
    ).toHaveLength(7);
  });
});

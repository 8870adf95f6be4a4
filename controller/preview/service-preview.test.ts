import { describe, expect, it } from "vitest";
import type { KubeObject, ObjectRef } from "../../kube/objects.js";
import type { ServiceConfig } from "../config/types.js";
import type { ObjectComparison, ServiceComparison } from "../report/diff/compare-service.js";
import { servicePreview } from "./service-preview.js";

const web: ServiceConfig = {
  name: "web",
  repoKey: "main",
  dir: "web",
  stateless: false,
  reconcileIntervalSeconds: 0,
  drift: "correct",
};
const ref = (kind: string, name: string, namespace = "shop"): ObjectRef => ({
  apiVersion: kind === "Deployment" ? "apps/v1" : "v1",
  kind,
  ...(kind === "Namespace" ? {} : { namespace }),
  name,
});
const object = (r: ObjectRef): KubeObject => ({
  apiVersion: r.apiVersion,
  kind: r.kind,
  metadata: { name: r.name, ...(r.namespace ? { namespace: r.namespace } : {}) },
});
const result = (r: ObjectRef, fields: Partial<ObjectComparison>): ObjectComparison => ({
  ...r,
  action: "unchanged",
  path: `web/${r.name}.yaml`,
  differs: false,
  ...fields,
});
const compared = (results: ObjectComparison[]): ServiceComparison => ({
  compared: true,
  objects: results.map(object),
  results,
});
const input = (comparison: ServiceComparison, inventory: ObjectRef[] = [], prune = true) => ({
  service: web,
  comparison,
  inventory,
  pathOf: (r: ObjectRef) => (r.name === "old" ? "web/old.yaml" : undefined),
  prune,
});

describe("servicePreview", () => {
  const deploy = ref("Deployment", "web");
  const extra = ref("ConfigMap", "extra");
  const same = ref("ConfigMap", "same");
  const old = ref("ConfigMap", "old");

  it("sorts a comparison into created, changed, unchanged and pruned, with each file", () => {
    const comparison = compared([
      result(deploy, { action: "configured", differs: true, patch: "-  replicas: 1\n+  replicas: 3\n" }),
      result(extra, { action: "created", differs: true, patch: "+data: {}\n" }),
      result(same, { action: "unchanged" }),
      // Configured with nothing git decides shown (bookkeeping only): unchanged as far as git is concerned.
      result(ref("ConfigMap", "touched-by-server"), { action: "configured", differs: false }),
    ]);
    const preview = servicePreview(input(comparison, [deploy, same, old]));
    expect(preview.lands).toBe(true);
    expect(preview.changed).toEqual([
      { ...deploy, path: "web/web.yaml", diff: "-  replicas: 1\n+  replicas: 3\n" },
    ]);
    expect(preview.created).toEqual([{ ...extra, path: "web/extra.yaml", diff: "+data: {}\n" }]);
    expect(preview.unchanged).toBe(2);
    expect(preview.pruned).toEqual([{ ...old, path: "web/old.yaml" }]);
    expect(preview.errors).toEqual([]);
  });

  it("names the file and the object of each refusal, and does not land", () => {
    const comparison = compared([
      result(deploy, {
        action: "failed",
        differs: true,
        message: 'Deployment.apps "web" is invalid: replicas',
      }),
      result(same, { action: "unchanged" }),
    ]);
    const preview = servicePreview(input(comparison));
    expect(preview.lands).toBe(false);
    expect(preview.errors).toEqual([
      {
        path: "web/web.yaml",
        object: "apps/v1/Deployment/shop/web",
        message: 'Deployment.apps "web" is invalid: replicas',
      },
    ]);
  });

  it("lands an object whose kind a CRD of the same set defines, as created", () => {
    const widget: ObjectRef = { apiVersion: "example.com/v1", kind: "Widget", namespace: "shop", name: "w" };
    const comparison = compared([
      result(widget, {
        action: "failed",
        differs: true,
        message: "the server has no Widget",
        crdInSet: "widgets.example.com",
      }),
    ]);
    const preview = servicePreview(input(comparison));
    expect(preview.lands).toBe(true);
    expect(preview.created.map((o) => [o.name, o.note])).toEqual([
      ["w", "not compared: its CustomResourceDefinition widgets.example.com comes with the same set"],
    ]);
  });

  it("gives every failure that kept the set from being compared, and nothing else", () => {
    const failures = [
      { path: "web/broken.yaml", error: "line 3: bad indentation", code: "E_PARSE" },
      { error: "the source could not read web/huge.yaml" },
    ];
    // Nothing is pruned from a set that could not be read whole: "not in git" may just be "not read".
    const preview = servicePreview(input({ compared: false, failures }, [old]));
    expect(preview).toMatchObject({ lands: false, created: [], changed: [], pruned: [], unchanged: 0 });
    expect(preview.errors).toEqual([
      { path: "web/broken.yaml", code: "E_PARSE", message: "line 3: bad indentation" },
      { message: "the source could not read web/huge.yaml" },
    ]);
  });

  it("leaves what left git in the cluster with prune off, and never prunes a Namespace", () => {
    const ns = ref("Namespace", "shop");
    const on = servicePreview(input(compared([result(same, {})]), [same, old, ns]));
    expect(on.pruned.map((o) => o.name)).toEqual(["old"]);
    expect(on.left.map((o) => [o.name, o.reason])).toEqual([["shop", "a Namespace is never pruned"]]);
    const off = servicePreview(input(compared([result(same, {})]), [same, old, ns], false));
    expect(off.pruned).toEqual([]);
    expect(off.left.map((o) => [o.name, o.reason])).toEqual([
      ["old", "prune is off"],
      ["shop", "a Namespace is never pruned"],
    ]);
  });
});

import { describe, expect, it } from "vitest";
import { sortForApply } from "./sort.js";

describe("sortForApply", () => {
  it("puts namespaces and CRDs first, custom resources last, and keeps file order within a kind", () => {
    const objects = [
      { kind: "Deployment", name: "web" },
      { kind: "Widget", name: "w1" },
      { kind: "ConfigMap", name: "c1" },
      { kind: "CustomResourceDefinition", name: "widgets" },
      { kind: "Namespace", name: "apps" },
      { kind: "ConfigMap", name: "c2" },
      { name: "no-kind" },
      { kind: "Namespace", name: "infra" },
    ];
    expect(sortForApply(objects).map((object) => object.name)).toEqual([
      "apps",
      "infra",
      "widgets",
      "c1",
      "c2",
      "web",
      "w1",
      "no-kind",
    ]);
  });

  it("is idempotent and does not modify its input", () => {
    const objects = [{ kind: "Service" }, { kind: "Namespace" }];
    const once = sortForApply(objects);
    expect(sortForApply(once)).toEqual(once);
    expect(objects.map((object) => object.kind)).toEqual(["Service", "Namespace"]);
  });
});

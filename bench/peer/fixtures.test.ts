import yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { objectPath } from "./bare-apply.js";
import { STACK_LABEL, stackFiles, stackObjects, stackWatchPaths, VERSION_LABEL } from "./fixtures.js";

describe("the generated monitoring stack", () => {
  const objects = stackObjects("flux", 3);

  it("has 100+ objects, CRDs with custom resources of their own group, every one labelled with stack and version", () => {
    expect(objects.length).toBeGreaterThanOrEqual(100);
    const crds = objects.filter((o) => o.kind === "CustomResourceDefinition");
    const groups = crds.map((crd) => (crd.spec as { group: string }).group);
    const custom = objects.filter((o) => groups.some((group) => o.apiVersion.startsWith(`${group}/`)));
    expect(crds.length).toBeGreaterThan(0);
    expect(custom.length).toBeGreaterThanOrEqual(crds.length);
    for (const o of objects)
      expect(o.metadata.labels).toMatchObject({ [STACK_LABEL]: "flux", [VERSION_LABEL]: "3" });
  });

  it("lays out in files holding exactly the same objects", () => {
    const fromFiles = Object.values(stackFiles("flux", 3)).flatMap((text) => yaml.loadAll(text));
    expect(fromFiles).toEqual(expect.arrayContaining(objects));
    expect(fromFiles).toHaveLength(objects.length);
  });

  it("keeps two copies apart: no object of one has the name and kind of one of the other", () => {
    const key = (o: { kind: string; metadata: { name: string; namespace?: string } }) =>
      `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;
    const other = new Set(stackObjects("sg", 3).map(key));
    expect(objects.filter((o) => other.has(key(o)))).toEqual([]);
  });

  it("has an apiserver path for every object, and a watch path for every custom kind", () => {
    const paths = objects.map(objectPath);
    expect(new Set(paths).size).toBe(objects.length);
    const watched = stackWatchPaths("flux");
    for (const o of objects.filter((x) => x.apiVersion.includes(".monitoring.bench.example"))) {
      const plural = objectPath(o).split("/").at(-2);
      expect(watched.filter((path) => path.endsWith(`/${plural}`))).toHaveLength(1);
    }
  });
});

import { describe, expect, it } from "vitest";
import { comparePaths, isManifestPath } from "./order.js";

describe("isManifestPath and comparePaths", () => {
  it.each([
    ["a.yaml", true],
    ["a.yml", true],
    ["a.json", true],
    ["A.YAML", true],
    ["a.yaml.bak", false],
    ["kustomization", false],
    ["a.txt", false],
  ])("%s is a manifest: %s", (path, expected) => {
    expect(isManifestPath(path)).toBe(expected);
  });

  it("orders paths the same way whatever the locale", () => {
    expect(["b.yaml", "B.yaml", "a/z.yaml", "a.yaml", "ä.yaml"].sort(comparePaths)).toEqual([
      "B.yaml",
      "a.yaml",
      "a/z.yaml",
      "b.yaml",
      "ä.yaml",
    ]);
  });
});

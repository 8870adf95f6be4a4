import { describe, expect, it } from "vitest";
import { type KubeObject, refOf } from "../kube/objects.js";
import type { ObjectApplyResult } from "./applyer.js";
import { applyInPhases } from "./phases.js";

const namespace = (name: string): KubeObject => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
const crd: KubeObject = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "widgets.example.com" },
  spec: { group: "example.com", names: { kind: "Widget" }, scope: "Namespaced" },
};
const widget: KubeObject = {
  apiVersion: "example.com/v1",
  kind: "Widget",
  metadata: { name: "w", namespace: "ok" },
};
const inBad: KubeObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", namespace: "bad" } };
const inOk: KubeObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "d", namespace: "ok" } };

/** phasesWith records each batch and fails the objects named in `fail`. */
function phasesWith(fail: readonly string[]) {
  const batches: string[][] = [];
  const waited: string[][] = [];
  return {
    batches,
    waited,
    steps: {
      async applyBatch(objects: readonly KubeObject[]): Promise<ObjectApplyResult[]> {
        batches.push(objects.map((object) => object.metadata.name));
        return objects.map((object) => ({
          ...refOf(object),
          action: fail.includes(object.metadata.name) ? "failed" : "created",
        }));
      },
      async waitEstablished(crds: readonly ObjectApplyResult[]) {
        waited.push(crds.map((result) => result.name));
      },
    },
  };
}

describe("applyInPhases", () => {
  it("applies Namespaces and CRDs first, waits for the CRDs, then the rest, in input order", async () => {
    const phases = phasesWith([]);
    const results = await applyInPhases([inOk, widget, crd, namespace("ok")], phases.steps);
    expect(phases.batches).toEqual([
      ["widgets.example.com", "ok"],
      ["d", "w"],
    ]);
    expect(phases.waited).toEqual([["widgets.example.com"]]);
    expect(results.map((result) => result.name)).toEqual(["d", "w", "widgets.example.com", "ok"]);
  });

  it("skips, naming the cause, what lives in a failed Namespace or is an instance of a failed CRD", async () => {
    const phases = phasesWith(["bad", "widgets.example.com"]);
    const results = await applyInPhases([namespace("bad"), crd, inBad, widget, inOk], phases.steps);
    expect(phases.batches).toEqual([["bad", "widgets.example.com"], ["d"]]);
    expect(phases.waited).toEqual([[]]);
    expect(results.map((result) => [result.name, result.action, result.message])).toEqual([
      ["bad", "failed", undefined],
      ["widgets.example.com", "failed", undefined],
      ["c", "skipped", "not sent: Namespace bad in the same set failed to apply"],
      [
        "w",
        "skipped",
        "not sent: CustomResourceDefinition widgets.example.com in the same set failed to apply",
      ],
      ["d", "created", undefined],
    ]);
  });
});

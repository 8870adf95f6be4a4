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
  it("applies Namespaces and CRDs first, waits for the CRDs, then roles and accounts, then the rest, in input order", async () => {
    const phases = phasesWith([]);
    const results = await applyInPhases(
      [inOk, binding("b", "Role", "r"), widget, role("r"), crd, account("sa"), namespace("ok")],
      phases.steps,
    );
    expect(phases.batches).toEqual([
      ["widgets.example.com", "ok"],
      ["r", "sa"],
      ["d", "b", "w"],
    ]);
    expect(phases.waited).toEqual([["widgets.example.com"]]);
    expect(results.map((result) => result.name)).toEqual([
      "d",
      "b",
      "w",
      "r",
      "widgets.example.com",
      "sa",
      "ok",
    ]);
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

const role = (name: string, kind = "Role"): KubeObject => ({
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind,
  metadata: kind === "Role" ? { name, namespace: "ok" } : { name },
  rules: [],
});
const binding = (name: string, kind: string, roleName: string, bindingKind = "RoleBinding"): KubeObject => ({
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind: bindingKind,
  metadata: bindingKind === "RoleBinding" ? { name, namespace: "ok" } : { name },
  roleRef: { apiGroup: "rbac.authorization.k8s.io", kind, name: roleName },
  subjects: [],
});
const account = (name: string): KubeObject => ({
  apiVersion: "v1",
  kind: "ServiceAccount",
  metadata: { name, namespace: "ok" },
});
const pod = (name: string, spec: Record<string, unknown>): KubeObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "ok" },
  spec: { containers: [{ name: "c", image: "busybox" }], ...spec },
});

describe("applyInPhases and what the apiserver looks up by name", () => {
  it.each([
    {
      name: "a RoleBinding to a failed Role",
      objects: [role("r"), binding("b", "Role", "r")],
      skipped: ["b", "not sent: Role ok/r in the same set failed to apply"],
    },
    {
      name: "a RoleBinding to a failed ClusterRole",
      objects: [role("r", "ClusterRole"), binding("b", "ClusterRole", "r")],
      skipped: ["b", "not sent: ClusterRole r in the same set failed to apply"],
    },
    {
      name: "a ClusterRoleBinding to a failed ClusterRole",
      objects: [role("r", "ClusterRole"), binding("b", "ClusterRole", "r", "ClusterRoleBinding")],
      skipped: ["b", "not sent: ClusterRole r in the same set failed to apply"],
    },
    {
      name: "a Pod running as a failed ServiceAccount",
      objects: [account("r"), pod("p", { serviceAccountName: "r" })],
      skipped: ["p", "not sent: ServiceAccount ok/r in the same set failed to apply"],
    },
    {
      name: "a Pod running as a failed ServiceAccount through the deprecated field",
      objects: [account("r"), pod("p", { serviceAccountName: "", serviceAccount: "r" })],
      skipped: ["p", "not sent: ServiceAccount ok/r in the same set failed to apply"],
    },
  ])("skips $name, naming it", async ({ objects, skipped }) => {
    const phases = phasesWith(["r"]);
    const results = await applyInPhases(objects, phases.steps);
    expect(phases.batches).toEqual([["r"]]);
    expect(results.map((result) => [result.name, result.action, result.message])).toContainEqual([
      skipped[0],
      "skipped",
      skipped[1],
    ]);
  });

  it("sends bindings to roles of the same name elsewhere, and pods of other accounts", async () => {
    const phases = phasesWith(["r"]);
    const other = { ...role("r"), metadata: { name: "r", namespace: "other" } };
    await applyInPhases(
      [other, binding("b", "ClusterRole", "r"), pod("p", { serviceAccountName: "default" })],
      phases.steps,
    );
    expect(phases.batches).toEqual([["r"], ["b", "p"]]);
  });
});

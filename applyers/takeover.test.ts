import { describe, expect, it } from "vitest";
import type { KubeObject } from "../kube/objects.js";
import { fieldPaths, takenOver } from "./takeover.js";

const withManagers = (entries: { manager: string; operation: string; fieldsV1: unknown }[]): KubeObject => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "apps", managedFields: entries },
});

const replicas = { "f:spec": { "f:replicas": {} } };
const image = {
  "f:spec": {
    "f:template": { "f:spec": { "f:containers": { 'k:{"name":"web"}': { ".": {}, "f:image": {} } } } },
  },
};

describe("fieldPaths", () => {
  it("flattens a fieldsV1 set into the paths it owns, list items by their keys", () => {
    expect(fieldPaths({ ...replicas, "f:metadata": { "f:labels": { "f:app": {} } } })).toEqual([
      ".spec.replicas",
      ".metadata.labels.app",
    ]);
    expect(fieldPaths(image)).toEqual([
      '.spec.template.spec.containers[name="web"]',
      '.spec.template.spec.containers[name="web"].image',
    ]);
  });
});

describe("takenOver", () => {
  it("names the fields another manager held before and ours holds after a forced apply", () => {
    const before = withManagers([
      { manager: "simple-gitops", operation: "Apply", fieldsV1: image },
      { manager: "kubectl-edit", operation: "Update", fieldsV1: replicas },
    ]);
    const after = withManagers([
      {
        manager: "simple-gitops",
        operation: "Apply",
        fieldsV1: { "f:spec": { ...replicas["f:spec"], ...image["f:spec"] } },
      },
    ]);
    expect(takenOver(before, after, "simple-gitops")).toEqual([
      { manager: "kubectl-edit", fields: [".spec.replicas"] },
    ]);
  });

  it("reports nothing when the other manager kept its fields (shared ownership of equal values)", () => {
    const before = withManagers([{ manager: "kubectl-edit", operation: "Update", fieldsV1: replicas }]);
    const after = withManagers([
      { manager: "kubectl-edit", operation: "Update", fieldsV1: replicas },
      { manager: "simple-gitops", operation: "Apply", fieldsV1: replicas },
    ]);
    expect(takenOver(before, after, "simple-gitops")).toEqual([]);
  });

  it("reports nothing for a new object", () => {
    expect(
      takenOver(
        undefined,
        withManagers([{ manager: "simple-gitops", operation: "Apply", fieldsV1: replicas }]),
        "simple-gitops",
      ),
    ).toEqual([]);
  });
});

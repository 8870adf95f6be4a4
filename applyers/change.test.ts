import { describe, expect, it } from "vitest";
import type { KubeObject } from "../kube/objects.js";
import { applyAction } from "./change.js";

const live: KubeObject = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", resourceVersion: "10", generation: 1, managedFields: [{ time: "t1" }] },
  spec: { replicas: 1 },
  status: { availableReplicas: 0 },
};

describe("applyAction", () => {
  it.each([
    { name: "absent before", before: undefined, after: live, action: "created" },
    { name: "identical", before: live, after: live, action: "unchanged" },
    {
      name: "only status and bookkeeping changed (a controller rolled out)",
      before: live,
      after: {
        ...live,
        metadata: { ...live.metadata, resourceVersion: "12", managedFields: [{ time: "t2" }] },
        status: { availableReplicas: 1 },
      },
      action: "unchanged",
    },
    { name: "spec changed", before: live, after: { ...live, spec: { replicas: 2 } }, action: "configured" },
    {
      name: "a label changed",
      before: live,
      after: { ...live, metadata: { ...live.metadata, labels: { a: "b" } } },
      action: "configured",
    },
    {
      name: "same content, different key order",
      before: live,
      after: {
        status: live.status,
        spec: live.spec,
        metadata: live.metadata,
        kind: live.kind,
        apiVersion: live.apiVersion,
      },
      action: "unchanged",
    },
  ] as { name: string; before?: KubeObject; after: KubeObject; action: string }[])("$name: $action", ({
    before,
    after,
    action,
  }) => {
    expect(applyAction(before, after)).toBe(action);
  });
});

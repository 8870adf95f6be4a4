import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../../kube/objects.js";
import { comparable, IGNORED_ANNOTATIONS } from "./comparable.js";

const live: KubeObject = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: {
    name: "web",
    namespace: "shop",
    labels: { app: "web" },
    annotations: { "deployment.kubernetes.io/revision": "3", team: "a" },
    managedFields: [{ manager: "simple-gitops" }],
    resourceVersion: "42",
    generation: 3,
    uid: "0b1c",
    creationTimestamp: "2024-01-01T00:00:00Z",
    selfLink: "/apis/apps/v1/namespaces/shop/deployments/web",
  },
  spec: { replicas: 2 },
  status: { readyReplicas: 2 },
};

describe("comparable", () => {
  it("keeps what git decides and drops status and bookkeeping", () => {
    expect(comparable(live)).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: "shop", labels: { app: "web" }, annotations: { team: "a" } },
      spec: { replicas: 2 },
    });
  });

  it.each(
    IGNORED_ANNOTATIONS.map((key) => [key]),
  )("drops the %s annotation, and the annotations map when nothing else is left", (key) => {
    const object: KubeObject = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "s", annotations: { [key]: "x" } },
    };
    expect(comparable(object).metadata).toEqual({ name: "s" });
  });

  it("does not change its input", () => {
    const before = structuredClone(live);
    comparable(live);
    expect(live).toEqual(before);
  });
});

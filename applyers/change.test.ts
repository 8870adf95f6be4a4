import { describe, expect, it } from "vitest";
import type { KubeObject } from "../kube/objects.js";
import { applyAction, FIELD_MANAGER } from "./change.js";

const sent: KubeObject = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", labels: { app: "web" } },
  spec: { replicas: 1, template: { spec: { containers: [{ name: "web", image: "nginx:1" }] } } },
};

const owned = (fields: unknown, time = "t1") => [
  { manager: FIELD_MANAGER, operation: "Apply", time, fieldsV1: fields },
  { manager: "kube-controller-manager", operation: "Update", time: "t1", fieldsV1: { "f:status": {} } },
];

/** live is `sent` as the server keeps it: defaults filled in, bookkeeping and status added. */
const live: KubeObject = {
  ...sent,
  metadata: {
    ...sent.metadata,
    resourceVersion: "10",
    generation: 1,
    uid: "u1",
    managedFields: owned({ "f:spec": { "f:replicas": {} } }),
  },
  spec: {
    replicas: 1,
    strategy: { type: "RollingUpdate" },
    template: { spec: { containers: [{ name: "web", image: "nginx:1", imagePullPolicy: "IfNotPresent" }] } },
  },
  status: { availableReplicas: 0 },
};

const withMeta = (object: KubeObject, metadata: Record<string, unknown>): KubeObject => ({
  ...object,
  metadata: { ...object.metadata, ...metadata },
});

const COMMIT = "simple-gitops.io/commit";
const commitFields = {
  "f:metadata": { "f:annotations": { [`f:${COMMIT}`]: {} } },
  "f:spec": { "f:replicas": {} },
};
/** atCommit is `object` as last applied at `commit`: the annotation, and the entry's time from that apply. */
const atCommit = (object: KubeObject, commit: string, time: string, generation = 1): KubeObject =>
  withMeta(object, {
    annotations: { ...object.metadata.annotations, [COMMIT]: commit },
    managedFields: owned(commitFields, time),
    generation,
  });
const sentAt = (commit: string): KubeObject => withMeta(sent, { annotations: { [COMMIT]: commit } });

describe("applyAction and the commit annotation", () => {
  it.each([
    {
      name: "only the commit moved (a new commit that changed nothing of this object)",
      before: atCommit(live, "c1", "t1"),
      after: atCommit(live, "c2", "t2"),
      action: "unchanged",
    },
    {
      name: "the same commit applied again",
      before: atCommit(live, "c2", "t1"),
      after: atCommit(live, "c2", "t1"),
      action: "unchanged",
    },
    {
      name: "the commit moved and a field git sets changed",
      before: atCommit(live, "c1", "t1"),
      after: { ...atCommit(live, "c2", "t2"), spec: { ...(live.spec as object), replicas: 2 } },
      action: "configured",
    },
    {
      name: "only the commit moved, on a kind that counts annotation changes in its generation (a Deployment)",
      before: atCommit(live, "c1", "t1", 1),
      after: atCommit(live, "c2", "t2", 2),
      action: "unchanged",
    },
    {
      name: "the commit moved and the spec was changed between the read and the apply, and put back",
      before: atCommit(live, "c1", "t1", 1),
      after: atCommit(live, "c2", "t2", 3),
      action: "configured",
    },
    {
      name: "first written on an object applied before the annotation existed (the field set grew)",
      before: live,
      after: atCommit(live, "c2", "t2"),
      action: "configured",
    },
    {
      name: "the commit moved and a field dropped from git was removed",
      before: withMeta(atCommit(live, "c1", "t1"), {
        managedFields: owned({ ...commitFields, "f:spec": { "f:replicas": {}, "f:paused": {} } }, "t1"),
      }),
      after: atCommit(live, "c2", "t2"),
      action: "configured",
    },
  ] as { name: string; before: KubeObject; after: KubeObject; action: string }[])("$name: $action", ({
    before,
    after,
    action,
  }) => {
    expect(applyAction(before, after, sentAt("c2"))).toBe(action);
  });
});

describe("applyAction", () => {
  it.each([
    { name: "absent before", before: undefined, after: live, action: "created" },
    { name: "identical", before: live, after: live, action: "unchanged" },
    {
      name: "deleted between the read and the apply, which created it anew",
      before: withMeta(live, { uid: "old" }),
      after: withMeta(live, { uid: "new" }),
      action: "created",
    },
    {
      name: "only status and bookkeeping changed (a controller rolled out)",
      before: live,
      after: {
        ...withMeta(live, {
          resourceVersion: "12",
          managedFields: owned({ "f:spec": { "f:replicas": {} } }),
        }),
        status: { availableReplicas: 1 },
      },
      action: "unchanged",
    },
    {
      name: "a controller annotated it between the read and the apply (deployment.kubernetes.io/revision)",
      before: live,
      after: withMeta(live, {
        annotations: { "deployment.kubernetes.io/revision": "1" },
        resourceVersion: "11",
      }),
      action: "unchanged",
    },
    {
      name: "a field git sets changed",
      before: live,
      after: { ...live, spec: { ...(live.spec as object), replicas: 2 } },
      action: "configured",
    },
    {
      name: "a field git sets inside a list changed",
      before: live,
      after: {
        ...live,
        spec: { replicas: 1, template: { spec: { containers: [{ name: "web", image: "nginx:2" }] } } },
      },
      action: "configured",
    },
    {
      name: "a label git sets changed",
      before: live,
      after: withMeta(live, { labels: { app: "web2" } }),
      action: "configured",
    },
    {
      name: "a field dropped from git was removed (the controller's field set shrank)",
      before: withMeta(live, { managedFields: owned({ "f:spec": { "f:replicas": {}, "f:paused": {} } }) }),
      after: live,
      action: "configured",
    },
    {
      name: "changed by someone between the read and the apply, and put back (the controller's entry moved on)",
      before: live,
      after: withMeta(live, { managedFields: owned({ "f:spec": { "f:replicas": {} } }, "t2") }),
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
        apiVersion: "apps/v1",
      },
      action: "unchanged",
    },
  ] as { name: string; before?: KubeObject; after: KubeObject; action: string }[])("$name: $action", ({
    before,
    after,
    action,
  }) => {
    expect(applyAction(before, after, sent)).toBe(action);
  });
});

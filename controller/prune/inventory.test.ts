import { describe, expect, it } from "vitest";
import type { ObjectApplyResult, ObjectDeleteResult } from "../../applyers/applyer.js";
import { type ObjectRef, refKey } from "../../kube/objects.js";
import { type LiveMeta, liveMeta, nextInventory, type PruneInput, planPrune } from "./inventory.js";

const cm = (name: string): ObjectRef => ({ apiVersion: "v1", kind: "ConfigMap", namespace: "apps", name });
const deploy = (name: string): ObjectRef => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  namespace: "apps",
  name,
});
const ns = (name: string): ObjectRef => ({ apiVersion: "v1", kind: "Namespace", name });
const names = (refs: readonly ObjectRef[]) => refs.map((r) => `${r.kind}/${r.name}`);

/** ours is a live object as render leaves it: our managed-by label and this service's annotation. */
const ours = (uid: string, annotations: Record<string, string> = {}): LiveMeta => ({
  labels: { "app.kubernetes.io/managed-by": "simple-gitops", app: "shop" },
  annotations: { "simple-gitops.io/service": "shop", ...annotations },
  uid,
});
const liveOf = (entries: [ObjectRef, LiveMeta | undefined][]) =>
  new Map(entries.map(([ref, meta]) => [refKey(ref), meta]));

const base: PruneInput = {
  service: "shop",
  previous: [cm("a"), cm("b"), deploy("web"), ns("team")],
  desired: [cm("a"), deploy("web")],
  applyComplete: true,
  listingComplete: true,
  live: liveOf([[cm("b"), ours("uid-b")]]),
};

describe("planPrune", () => {
  // Each guard has its own case: removing the line that checks it makes that case fail.
  it.each([
    {
      name: "prunes what left git, with the UID it was read with",
      input: base,
      prune: ["ConfigMap/b@uid-b"],
      skipped: ["Namespace/team:namespace"],
    },
    {
      name: "prunes nothing when the apply failed or a workload is unhealthy",
      input: { ...base, applyComplete: false },
      blocked: "apply-incomplete",
    },
    {
      name: "prunes nothing after a partial listing",
      input: { ...base, listingComplete: false },
      blocked: "listing-partial",
    },
    {
      name: "prunes nothing after a partial listing that looks like an empty directory",
      input: { ...base, desired: [], listingComplete: false },
      blocked: "listing-partial",
    },
    {
      name: "never prunes a Namespace, even one that is ours",
      input: {
        ...base,
        live: liveOf([
          [cm("b"), ours("uid-b")],
          [ns("team"), ours("uid-ns")],
        ]),
      },
      prune: ["ConfigMap/b@uid-b"],
      skipped: ["Namespace/team:namespace"],
    },
    {
      name: "keeps an object whose managed-by label was removed by hand",
      input: {
        ...base,
        live: liveOf([[cm("b"), { ...ours("uid-b"), labels: { app: "shop" } }]]),
      },
      skipped: ["ConfigMap/b:not-managed", "Namespace/team:namespace"],
    },
    {
      name: "keeps an object whose managed-by label names another tool",
      input: {
        ...base,
        live: liveOf([[cm("b"), { ...ours("uid-b"), labels: { "app.kubernetes.io/managed-by": "Helm" } }]]),
      },
      skipped: ["ConfigMap/b:not-managed", "Namespace/team:namespace"],
    },
    {
      name: "keeps an object without a service annotation",
      input: { ...base, live: liveOf([[cm("b"), { ...ours("uid-b"), annotations: {} }]]) },
      skipped: ["ConfigMap/b:not-managed", "Namespace/team:namespace"],
    },
    {
      name: "keeps an object whose service annotation names another service",
      input: {
        ...base,
        live: liveOf([[cm("b"), ours("uid-b", { "simple-gitops.io/service": "billing" })]]),
      },
      skipped: ["ConfigMap/b:other-service", "Namespace/team:namespace"],
    },
    {
      name: "keeps an object annotated simple-gitops.io/prune: disabled",
      input: {
        ...base,
        live: liveOf([[cm("b"), ours("uid-b", { "simple-gitops.io/prune": "disabled" })]]),
      },
      skipped: ["ConfigMap/b:disabled", "Namespace/team:namespace"],
    },
    {
      name: "prunes an object whose prune annotation is anything but disabled",
      input: {
        ...base,
        live: liveOf([[cm("b"), ours("uid-b", { "simple-gitops.io/prune": "enabled" })]]),
      },
      prune: ["ConfigMap/b@uid-b"],
      skipped: ["Namespace/team:namespace"],
    },
    {
      name: "skips an object that is gone, whether read as absent or not read",
      input: { ...base, previous: [...base.previous, cm("c")], live: liveOf([[cm("b"), undefined]]) },
      skipped: ["ConfigMap/b:gone", "Namespace/team:namespace", "ConfigMap/c:gone"],
    },
    {
      name: "without live objects, lists the candidates unchecked (to report them, never to delete)",
      input: { ...base, live: undefined },
      prune: ["ConfigMap/b"],
      skipped: ["Namespace/team:namespace"],
    },
    {
      name: "does not match across apiVersions of one group",
      input: { ...base, desired: [cm("a"), cm("b"), { ...deploy("web"), apiVersion: "apps/v1beta2" }] },
      skipped: ["Namespace/team:namespace"],
    },
    {
      name: "plans a ref listed twice once",
      input: { ...base, previous: [cm("b"), cm("b")] },
      prune: ["ConfigMap/b@uid-b"],
    },
  ] as {
    name: string;
    input: PruneInput;
    prune?: string[];
    skipped?: string[];
    blocked?: string;
  }[])("$name", ({ input, prune = [], skipped = [], blocked }) => {
    const plan = planPrune(input);
    expect(plan.prune.map((r) => `${r.kind}/${r.name}${r.uid ? `@${r.uid}` : ""}`)).toEqual(prune);
    expect(plan.skipped.map((s) => `${s.ref.kind}/${s.ref.name}:${s.reason}`)).toEqual(skipped);
    expect(plan.blocked).toBe(blocked);
  });

  it("is idempotent: after pruning and storing the next inventory, planning again prunes nothing", () => {
    const applied: ObjectApplyResult[] = base.desired.map((r) => ({ ...r, action: "unchanged" }));
    const plan = planPrune(base);
    const deleted: ObjectDeleteResult[] = plan.prune.map(({ uid: _uid, ...r }) => ({
      ...r,
      action: "deleted",
    }));
    const inventory = nextInventory({ previous: base.previous, applied, deleted });
    // The Namespace stays: it is never pruned, so it stays ours.
    expect(names(inventory)).toEqual(["ConfigMap/a", "Namespace/team", "Deployment/web"]);
    // The deleted object is gone from the cluster now, too.
    const again = planPrune({ ...base, previous: inventory, live: liveOf([[cm("b"), undefined]]) });
    expect(again.prune).toEqual([]);
    expect(planPrune({ ...base, previous: inventory, live: new Map() }).prune).toEqual([]);
    expect(nextInventory({ previous: inventory, applied })).toEqual(inventory);
  });
});

describe("liveMeta", () => {
  it("keeps the labels, annotations and UID of a live object, and nothing of an absent one", () => {
    expect(
      liveMeta({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: {
          name: "b",
          labels: { a: "1" },
          annotations: { b: "2" },
          uid: "u-1",
          resourceVersion: "9",
        },
        data: { k: "v" },
      }),
    ).toEqual({ labels: { a: "1" }, annotations: { b: "2" }, uid: "u-1" });
    expect(liveMeta(undefined)).toBeUndefined();
  });
});

describe("nextInventory", () => {
  it.each([
    {
      name: "adds newly applied objects",
      previous: [cm("a")],
      applied: [{ ...cm("n"), action: "created" }],
      deleted: [],
      expected: ["ConfigMap/a", "ConfigMap/n"],
    },
    {
      name: "keeps a previously applied object whose apply failed now",
      previous: [cm("a")],
      applied: [{ ...cm("a"), action: "failed" }],
      deleted: [],
      expected: ["ConfigMap/a"],
    },
    {
      name: "does not adopt an object that never applied",
      previous: [],
      applied: [
        { ...cm("x"), action: "failed" },
        { ...cm("y"), action: "skipped" },
      ],
      deleted: [],
      expected: [],
    },
    {
      name: "drops objects deleted now or found gone",
      previous: [cm("a"), cm("b"), cm("c")],
      applied: [],
      deleted: [
        { ...cm("b"), action: "deleted" },
        { ...cm("c"), action: "not-found" },
      ],
      expected: ["ConfigMap/a"],
    },
    {
      name: "keeps an object whose delete failed or met a re-created object",
      previous: [cm("a"), cm("b"), cm("c")],
      applied: [{ ...cm("a"), action: "unchanged" }],
      deleted: [
        { ...cm("b"), action: "failed" },
        { ...cm("c"), action: "conflict" },
      ],
      expected: ["ConfigMap/a", "ConfigMap/b", "ConfigMap/c"],
    },
  ] as {
    name: string;
    previous: ObjectRef[];
    applied: ObjectApplyResult[];
    deleted: ObjectDeleteResult[];
    expected: string[];
  }[])("$name", ({ previous, applied, deleted, expected }) => {
    expect(names(nextInventory({ previous, applied, deleted }))).toEqual(expected);
  });
});

import { describe, expect, it } from "vitest";
import { type ObjectRef, refKey } from "../kube/objects.js";
import type { ObjectApplyResult } from "./applyer.js";
import { nextInventory, type PruneInput, planPrune } from "./inventory.js";

const cm = (name: string): ObjectRef => ({ apiVersion: "v1", kind: "ConfigMap", namespace: "apps", name });
const deploy = (name: string): ObjectRef => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  namespace: "apps",
  name,
});
const ns = (name: string): ObjectRef => ({ apiVersion: "v1", kind: "Namespace", name });
const ours = { "app.kubernetes.io/managed-by": "simple-gitops" };
const names = (refs: ObjectRef[]) => refs.map((r) => `${r.kind}/${r.name}`);

const base: PruneInput = {
  previous: [cm("a"), cm("b"), deploy("web"), ns("team")],
  desired: [cm("a"), deploy("web")],
  applyComplete: true,
  listingComplete: true,
};

describe("planPrune", () => {
  it.each([
    { name: "prunes what left git", input: base, prune: ["ConfigMap/b"], blocked: undefined },
    {
      name: "prunes nothing when the apply failed",
      input: { ...base, applyComplete: false },
      prune: [],
      blocked: "apply-incomplete",
    },
    {
      name: "prunes nothing after a partial listing",
      input: { ...base, listingComplete: false },
      prune: [],
      blocked: "listing-partial",
    },
    {
      name: "prunes nothing after a partial listing that looks like an empty directory",
      input: { ...base, desired: [], listingComplete: false },
      prune: [],
      blocked: "listing-partial",
    },
    {
      name: "prunes Namespaces only when allowed",
      input: { ...base, pruneNamespaces: true },
      prune: ["ConfigMap/b", "Namespace/team"],
      blocked: undefined,
    },
    {
      name: "never prunes a live object without our label",
      input: { ...base, live: new Map([[refKey(cm("b")), { "app.kubernetes.io/managed-by": "helm" }]]) },
      prune: [],
      blocked: undefined,
    },
    {
      name: "prunes a live object with our label",
      input: { ...base, live: new Map([[refKey(cm("b")), ours]]) },
      prune: ["ConfigMap/b"],
      blocked: undefined,
    },
    {
      name: "does not match across apiVersions of one group",
      input: { ...base, desired: [cm("a"), cm("b"), { ...deploy("web"), apiVersion: "apps/v1beta2" }] },
      prune: [],
      blocked: undefined,
    },
  ])("$name", ({ input, prune, blocked }) => {
    const plan = planPrune(input as PruneInput);
    expect(names(plan.prune)).toEqual(prune);
    expect(plan.blocked).toBe(blocked);
  });

  it("says why it keeps each candidate it keeps", () => {
    const plan = planPrune({
      ...base,
      previous: [...base.previous, cm("gone")],
      live: new Map([[refKey(cm("b")), {}]]),
    });
    expect(plan.skipped.map((s) => `${s.ref.name}:${s.reason}`)).toEqual([
      "b:not-managed",
      "team:namespace",
      "gone:gone",
    ]);
  });

  it("is idempotent: after pruning and storing the next inventory, planning again prunes nothing", () => {
    const applied: ObjectApplyResult[] = base.desired.map((r) => ({ ...r, action: "unchanged" }));
    const plan = planPrune({ ...base, pruneNamespaces: true });
    const inventory = nextInventory({
      previous: base.previous,
      applied,
      deleted: plan.prune.map((r) => ({ ...r, action: "deleted" as const })),
    });
    expect(names(inventory)).toEqual(["ConfigMap/a", "Deployment/web"]);
    expect(planPrune({ ...base, previous: inventory, pruneNamespaces: true }).prune).toEqual([]);
    expect(nextInventory({ previous: inventory, applied })).toEqual(inventory);
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
      applied: [{ ...cm("x"), action: "failed" }],
      deleted: [],
      expected: [],
    },
    {
      name: "keeps an object whose delete failed",
      previous: [cm("a"), cm("b")],
      applied: [{ ...cm("a"), action: "unchanged" }],
      deleted: [{ ...cm("b"), action: "failed" }],
      expected: ["ConfigMap/a", "ConfigMap/b"],
    },
  ] as {
    name: string;
    previous: ObjectRef[];
    applied: ObjectApplyResult[];
    deleted: never[];
    expected: string[];
  }[])("$name", ({ previous, applied, deleted, expected }) => {
    expect(names(nextInventory({ previous, applied, deleted }))).toEqual(expected);
  });
});

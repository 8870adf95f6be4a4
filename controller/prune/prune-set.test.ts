import pino from "pino";
import { describe, expect, it } from "vitest";
import type { Applyer, DeleteRef } from "../../applyers/applyer.js";
import { type KubeObject, type ObjectRef, refKey } from "../desired/render/types.js";
import { type PruneSetInput, pruneSet } from "./prune-set.js";

const ref = (
  kind: string,
  name: string,
  apiVersion = "v1",
  namespace: string | null = "apps",
): ObjectRef => ({
  apiVersion,
  kind,
  ...(namespace ? { namespace } : {}),
  name,
});
const cm = (name: string) => ref("ConfigMap", name);
const crd = ref("CustomResourceDefinition", "widgets.example.com", "apiextensions.k8s.io/v1", null);
const widget = ref("Widget", "w1", "example.com/v1");
const deploy = ref("Deployment", "web", "apps/v1");
const ns = ref("Namespace", "team", "v1", null);

/** live is a live object as render leaves it, with a UID; `change` edits its metadata. */
function live(of: ObjectRef, change: (meta: KubeObject["metadata"]) => void = () => {}): KubeObject {
  const object: KubeObject = {
    apiVersion: of.apiVersion,
    kind: of.kind,
    metadata: {
      name: of.name,
      ...(of.namespace ? { namespace: of.namespace } : {}),
      uid: `uid-${of.name}`,
      labels: { "app.kubernetes.io/managed-by": "simple-gitops" },
      annotations: { "simple-gitops.io/service": "shop" },
    },
  };
  change(object.metadata);
  return object;
}

/** world is a cluster as prune sees it: live objects to read, and an applyer that records each delete call. */
function world(objects: KubeObject[], opts: { unreadable?: string[]; recreated?: string[] } = {}) {
  const byKey = new Map(
    objects.map((o) => [refKey({ ...o, name: o.metadata.name, namespace: o.metadata.namespace }), o]),
  );
  const calls: DeleteRef[][] = [];
  const reads: string[] = [];
  const lines: { level: number; msg: string; [key: string]: unknown }[] = [];
  const applyer: Applyer = {
    name: "fake",
    async ensureInstalled() {},
    async apply() {
      throw new Error("prune never applies");
    },
    async delete(refs) {
      calls.push([...refs]);
      return {
        applyer: "fake",
        objects: refs.map(({ uid, ...r }) =>
          opts.recreated?.includes(r.name)
            ? {
                ...r,
                action: "conflict" as const,
                message: `the UID in the precondition (${uid}) does not match`,
              }
            : { ...r, action: "deleted" as const },
        ),
      };
    },
  };
  const readObject = async (r: ObjectRef) => {
    reads.push(r.name);
    if (opts.unreadable?.includes(r.name)) throw new Error(`${r.kind} ${r.name}: forbidden`);
    return byKey.get(refKey(r));
  };
  const log = pino({ level: "debug" }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { applyer, readObject, log, calls, reads, lines };
}

const input = (over: Partial<PruneSetInput> = {}): PruneSetInput => ({
  service: "shop",
  previous: [cm("a"), cm("b")],
  desired: [cm("a")],
  listingComplete: true,
  applyComplete: true,
  prune: true,
  ...over,
});

const callNames = (calls: DeleteRef[][]) => calls.map((call) => call.map((r) => `${r.kind}/${r.name}`));
const keptOf = (kept: { ref: ObjectRef; reason: string }[]) => kept.map((k) => `${k.ref.name}:${k.reason}`);

describe("pruneSet", () => {
  it("reads what left git and deletes it with the UID it read", async () => {
    const w = world([live(cm("a")), live(cm("b"))]);
    const result = await pruneSet(input(), w);
    expect(w.reads).toEqual(["b"]);
    expect(w.calls).toEqual([[{ ...cm("b"), uid: "uid-b" }]]);
    expect(result).toEqual({ pruned: [{ ...cm("b"), action: "deleted" }], orphaned: [], kept: [] });
  });

  it.each([
    { name: "a complete listing", over: { listingComplete: false } },
    { name: "a complete, healthy apply", over: { applyComplete: false } },
  ])("reads and deletes nothing without $name", async ({ over }) => {
    const w = world([live(cm("b"))]);
    expect(await pruneSet(input(over), w)).toEqual({ pruned: [], orphaned: [], kept: [] });
    expect(w.calls).toEqual([]);
    expect(w.reads).toEqual([]);
  });

  it("keeps objects that are no longer ours, or opted out, and says why", async () => {
    const previous = [cm("a"), cm("hand"), cm("moved"), cm("pinned"), cm("b"), ns];
    const w = world([
      live(cm("hand"), (m) => {
        m.labels = {};
      }),
      live(cm("moved"), (m) => {
        m.annotations = { "simple-gitops.io/service": "billing" };
      }),
      live(cm("pinned"), (m) => {
        m.annotations = { ...m.annotations, "simple-gitops.io/prune": "disabled" };
      }),
      live(cm("b")),
      live(ns),
    ]);
    const result = await pruneSet(input({ previous }), w);
    expect(callNames(w.calls)).toEqual([["ConfigMap/b"]]);
    expect(keptOf(result.kept)).toEqual([
      "team:namespace",
      "hand:not-managed",
      "moved:other-service",
      "pinned:disabled",
    ]);
    expect(w.reads).not.toContain("team");
    const line = w.lines.find((l) => l.msg === "objects removed from git were kept");
    expect(line?.kept).toEqual([
      "Namespace team: namespace",
      "ConfigMap apps/hand: not-managed",
      "ConfigMap apps/moved: other-service",
      "ConfigMap apps/pinned: disabled",
    ]);
  });

  it("reports an object gone already as not-found, so the inventory lets go of it, and deletes nothing", async () => {
    const w = world([]);
    const result = await pruneSet(input(), w);
    expect(w.calls).toEqual([]);
    expect(result.pruned).toEqual([{ ...cm("b"), action: "not-found", message: "already gone when read" }]);
  });

  it("deletes in the reverse of the apply order: custom resources first, their CRD last", async () => {
    const previous = [crd, cm("b"), deploy, widget, cm("c")];
    const w = world(previous.map((r) => live(r)));
    await pruneSet(input({ previous, desired: [] }), w);
    expect(callNames(w.calls)).toEqual([
      ["Widget/w1"],
      ["Deployment/web"],
      ["ConfigMap/b", "ConfigMap/c"],
      ["CustomResourceDefinition/widgets.example.com"],
    ]);
  });

  it("never deletes blind: without a way to read live objects it deletes nothing and says why", async () => {
    const w = world([live(cm("b"))]);
    const result = await pruneSet(input(), { applyer: w.applyer, log: w.log });
    expect(w.calls).toEqual([]);
    expect(result).toEqual({ pruned: [], orphaned: [], kept: [{ ref: cm("b"), reason: "unverified" }] });
    expect(w.lines.find((l) => l.level === 40)?.msg).toContain("cannot read live objects");
  });

  it("fails an object it cannot read, and still prunes the rest", async () => {
    const w = world([live(cm("b")), live(cm("c"))], { unreadable: ["b"] });
    const result = await pruneSet(input({ previous: [cm("a"), cm("b"), cm("c")] }), w);
    expect(callNames(w.calls)).toEqual([["ConfigMap/c"]]);
    expect(result.pruned.map((o) => `${o.name}:${o.action}`)).toEqual(["b:failed", "c:deleted"]);
    expect(result.pruned[0]?.message).toContain("forbidden");
  });

  it("leaves an object re-created since it was read, and says so", async () => {
    const w = world([live(cm("b"))], { recreated: ["b"] });
    const result = await pruneSet(input(), w);
    expect(result.pruned.map((o) => `${o.name}:${o.action}`)).toEqual(["b:conflict"]);
    expect(w.lines.find((l) => l.level === 40)?.msg).toContain("re-created since it was read");
  });

  it("with prune off, reads and deletes nothing and returns what left git as orphaned", async () => {
    const w = world([live(cm("b"))]);
    const result = await pruneSet(input({ prune: false, previous: [cm("a"), cm("b"), ns] }), w);
    expect(w.reads).toEqual([]);
    expect(w.calls).toEqual([]);
    expect(result).toEqual({ pruned: [], orphaned: [cm("b")], kept: [{ ref: ns, reason: "namespace" }] });
  });
});

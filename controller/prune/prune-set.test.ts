import pino from "pino";
import { describe, expect, it } from "vitest";
import type { Applyer, DeleteRef } from "../../applyers/applyer.js";
import { createManualTime } from "../../test/manual-time.js";
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
function world(
  objects: KubeObject[],
  opts: { unreadable?: string[]; recreated?: string[]; now?: () => number } = {},
) {
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
      // As the apiserver does: an object with finalizers stays, marked for deletion; any other one goes.
      for (const r of refs) {
        const object = byKey.get(refKey(r));
        if (!object?.metadata.finalizers) byKey.delete(refKey(r));
        else object.metadata.deletionTimestamp ??= new Date(opts.now?.() ?? 0).toISOString();
      }
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
  /** finalize is an operator removing its finalizer: the object goes. */
  const finalize = (r: ObjectRef) => byKey.delete(refKey(r));
  return { applyer, readObject, log, calls, reads, lines, finalize };
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

  it("with prune off, still deletes what it is told to remove, and orphans the rest", async () => {
    const w = world([live(cm("b")), live(cm("c"))]);
    const result = await pruneSet(
      input({ prune: false, previous: [cm("a"), cm("b"), cm("c")], remove: [cm("c")] }),
      w,
    );
    expect(callNames(w.calls)).toEqual([["ConfigMap/c"]]);
    expect(result).toEqual({ pruned: [{ ...cm("c"), action: "deleted" }], orphaned: [cm("b")], kept: [] });
  });
});

describe("pruneSet, waiting for what it deleted to be gone", () => {
  const previous = [crd, deploy, widget];
  const withFinalizer = (of: ObjectRef) =>
    live(of, (m) => {
      m.finalizers = ["example.com/cleanup"];
    });

  const step = async (time: ReturnType<typeof createManualTime>) => {
    // Let the reads under way finish before time moves on, as they would in a real wait.
    await new Promise((resolve) => setImmediate(resolve));
    await time.advance(250);
  };

  it("deletes what the custom resources depend on only once their finalizers ran", async () => {
    const time = createManualTime();
    const w = world([live(crd), live(deploy), withFinalizer(widget)], { now: time.now });
    const pruning = pruneSet(input({ previous, desired: [] }), { ...w, clock: time, goneTimeoutMs: 5_000 });
    for (let waited = 0; waited < 2_000; waited += 250) await step(time);
    expect(callNames(w.calls)).toEqual([["Widget/w1"]]);
    w.finalize(widget);
    for (let waited = 0; waited < 1_000; waited += 250) await step(time);
    const result = await pruning;
    expect(callNames(w.calls)).toEqual([
      ["Widget/w1"],
      ["Deployment/web"],
      ["CustomResourceDefinition/widgets.example.com"],
    ]);
    expect(result.pruned.map((o) => `${o.name}:${o.action}`)).toEqual([
      "w1:deleted",
      "web:deleted",
      "widgets.example.com:deleted",
    ]);
  });

  it("reports a custom resource its finalizer holds past the deadline, and keeps its operator and CRD", async () => {
    const time = createManualTime();
    const w = world([live(crd), live(deploy), withFinalizer(widget)], { now: time.now });
    let settled = false;
    const pruning = pruneSet(input({ previous, desired: [] }), {
      ...w,
      clock: time,
      goneTimeoutMs: 5_000,
    }).finally(() => {
      settled = true;
    });
    // Still waiting at 4.75 s, done at 5 s.
    for (let waited = 0; waited < 4_750; waited += 250) await step(time);
    expect(settled).toBe(false);
    for (let waited = 0; waited < 1_000 && !settled; waited += 250) await step(time);
    const result = await pruning;
    expect(callNames(w.calls)).toEqual([["Widget/w1"]]);
    expect(result.pruned).toEqual([
      {
        ...widget,
        action: "failed",
        message:
          "deleted, but still there after 5 s: held by finalizer example.com/cleanup, which nothing has removed; what it may depend on is deleted once it is gone",
      },
    ]);
    expect(keptOf(result.kept)).toEqual(["web:behind-stuck", "widgets.example.com:behind-stuck"]);
    expect(w.lines.find((l) => l.level === 40)?.objects).toEqual(["Widget apps/w1"]);
  });

  it("keeps the whole prune while custom resources of a CRD in it exist outside it, naming them", async () => {
    const w = world([live(crd), live(deploy)]);
    const listed: string[] = [];
    const listCustomResources = async (of: KubeObject) => {
      listed.push(String(of.metadata.uid));
      return [ref("Widget", "w9", "example.com/v1", "team"), widget];
    };
    const result = await pruneSet(input({ previous: [crd, deploy], desired: [] }), {
      ...w,
      listCustomResources,
    });
    expect(listed).toEqual(["uid-widgets.example.com"]);
    expect(w.calls).toEqual([]);
    expect(result.pruned).toEqual([
      {
        ...crd,
        action: "failed",
        message:
          "kept with the rest of this prune: its custom resources still exist (Widget team/w9, Widget apps/w1); delete them, or let the service that applies them prune them first (depends_on)",
      },
    ]);
    expect(keptOf(result.kept)).toEqual(["web:behind-in-use"]);
  });

  it("keeps a CRD whose custom resources it cannot list, saying what to do", async () => {
    const w = world([live(crd)]);
    const result = await pruneSet(input({ previous: [crd], desired: [] }), {
      ...w,
      listCustomResources: async () => {
        throw new Error(
          'widgets.example.com: widgets.example.com is forbidden: cannot list resource "widgets"',
        );
      },
    });
    expect(w.calls).toEqual([]);
    expect(result.pruned.map((object) => object.message)).toEqual([
      'kept with the rest of this prune: cannot list its custom resources (widgets.example.com: widgets.example.com is forbidden: cannot list resource "widgets"); deleting it would delete them all: grant the controller list on them, or delete it by hand once they are gone',
    ]);
  });

  it("deletes a CRD whose only custom resources are in the same prune, them first", async () => {
    const w = world([live(crd), live(deploy), live(widget)]);
    const result = await pruneSet(input({ previous: [crd, deploy, widget], desired: [] }), {
      ...w,
      listCustomResources: async () => [widget],
    });
    expect(callNames(w.calls)).toEqual([
      ["Widget/w1"],
      ["Deployment/web"],
      ["CustomResourceDefinition/widgets.example.com"],
    ]);
    expect(result.kept).toEqual([]);
  });

  it("reports an object stuck since an earlier sync at once, without waiting again", async () => {
    const time = createManualTime();
    const stuck = withFinalizer(widget);
    stuck.metadata.deletionTimestamp = new Date(time.now() - 60_000).toISOString();
    const w = world([stuck], { now: time.now });
    const result = await pruneSet(input({ previous: [widget], desired: [] }), {
      ...w,
      clock: time,
      goneTimeoutMs: 5_000,
    });
    expect(result.pruned[0]?.message).toMatch(/^deleted, but still there after 60 s: held by finalizer/);
  });
});

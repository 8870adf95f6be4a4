import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nextInventory, planPrune } from "../../applyers/inventory.js";
import { createKubectlApplyer } from "../../applyers/kubectl.js";
import { parseManifests } from "../../controller/render/parse.js";
import { renderService } from "../../controller/render/render.js";
import { type KubeObject, type ObjectRef, refKey, refOf } from "../../kube/objects.js";
import { createTestNamespace, kubeconfigPath, kubectl, type TestNamespace } from "./cluster.js";

const log = pino({ level: "silent" });

const FILES: Record<string, string> = {
  "svc/a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: a}\n",
  "svc/b.yaml":
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b1}\ndata: {k: b}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: b2}\nstringData: {k: b}\n",
};

function render(ns: string, files: Record<string, string>): KubeObject[] {
  const objects = Object.entries(files).flatMap(([path, text]) => parseManifests(path, text).objects);
  return renderService({ service: "shop", objects, configFiles: [], defaultNamespace: ns, stateless: false });
}

async function names(ns: string): Promise<string[]> {
  const out = await kubectl(["-n", ns, "get", "configmaps,secrets", "-o", "name"]);
  return out
    .split("\n")
    .filter((l) => l !== "" && !l.endsWith("kube-root-ca.crt"))
    .sort();
}

async function liveLabels(refs: readonly ObjectRef[], ns: string) {
  const live = new Map<string, Record<string, string>>();
  const out = JSON.parse(await kubectl(["-n", ns, "get", "configmaps,secrets", "-o", "json"])) as {
    items: KubeObject[];
  };
  const wanted = new Set(refs.map(refKey));
  for (const item of out.items) {
    const key = refKey(refOf(item));
    if (wanted.has(key)) live.set(key, item.metadata.labels ?? {});
  }
  return live;
}

describe("prune on a real apiserver", () => {
  let ns: TestNamespace;
  let inventory: ObjectRef[];
  const applyer = () => createKubectlApplyer({ kubeconfig: kubeconfigPath(), log });

  beforeAll(async () => {
    ns = await createTestNamespace("e2e-prune");
    const result = await applyer().apply(render(ns.name, FILES));
    expect(result.objects.every((o) => o.action === "created")).toBe(true);
    inventory = nextInventory({ previous: [], applied: result.objects });
    // Someone else's object in the same namespace, and one with our name but not our label.
    await kubectl(["-n", ns.name, "create", "configmap", "foreign", "--from-literal=k=v"]);
  });
  afterAll(async () => {
    await ns?.cleanup();
  });

  it("prunes nothing after a failed listing", async () => {
    const desired = render(ns.name, { "svc/a.yaml": FILES["svc/a.yaml"] ?? "" });
    const plan = planPrune({
      previous: inventory,
      desired: desired.map(refOf),
      applyComplete: true,
      listingComplete: false,
    });
    expect(plan).toEqual({ prune: [], skipped: [], blocked: "listing-partial" });
    expect(await names(ns.name)).toEqual(["configmap/a", "configmap/b1", "configmap/foreign", "secret/b2"]);
  });

  it("never prunes an inventory object that lost our label", async () => {
    const foreign: ObjectRef = { apiVersion: "v1", kind: "ConfigMap", namespace: ns.name, name: "foreign" };
    const plan = planPrune({
      previous: [...inventory, foreign],
      desired: inventory,
      applyComplete: true,
      listingComplete: true,
      live: await liveLabels([foreign], ns.name),
    });
    expect(plan.prune).toEqual([]);
    expect(plan.skipped).toEqual([{ ref: foreign, reason: "not-managed" }]);
  });

  it("removes exactly the deleted manifest's objects and nothing else", async () => {
    const desired = render(ns.name, { "svc/a.yaml": FILES["svc/a.yaml"] ?? "" });
    const applied = await applyer().apply(desired);
    expect(applied.objects.map((o) => o.action)).toEqual(["unchanged"]);
    const candidates = inventory.filter((r) => !desired.some((d) => refKey(refOf(d)) === refKey(r)));
    const plan = planPrune({
      previous: inventory,
      desired: desired.map(refOf),
      applyComplete: applied.objects.every((o) => o.action !== "failed"),
      listingComplete: true,
      live: await liveLabels(candidates, ns.name),
    });
    expect(plan.prune.map((r) => `${r.kind}/${r.name}`).sort()).toEqual(["ConfigMap/b1", "Secret/b2"]);
    const deleted = await applyer().delete(plan.prune);
    expect(deleted.objects.map((o) => o.action)).toEqual(["deleted", "deleted"]);
    expect(await names(ns.name)).toEqual(["configmap/a", "configmap/foreign"]);

    inventory = nextInventory({ previous: inventory, applied: applied.objects, deleted: deleted.objects });
    expect(inventory.map((r) => r.name)).toEqual(["a"]);
    // Idempotent: the same sync again has nothing left to prune.
    expect(
      planPrune({
        previous: inventory,
        desired: desired.map(refOf),
        applyComplete: true,
        listingComplete: true,
      }).prune,
    ).toEqual([]);
  });
});

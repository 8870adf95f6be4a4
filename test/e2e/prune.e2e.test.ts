import { createHash, randomBytes } from "node:crypto";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Applyer, DeleteRef } from "../../applyers/applyer.js";
import { createApplyerChain } from "../../applyers/chain.js";
import { createKubeApiApplyer, createKubeObjectReader } from "../../applyers/kube-api.js";
import { createKubectlApplyer } from "../../applyers/kubectl.js";
import { systemClock } from "../../common/clock.js";
import type { RepoConfig, ServiceConfig } from "../../controller/config/types.js";
import { createParseCache } from "../../controller/desired/desired-set.js";
import { parseManifests } from "../../controller/desired/render/parse.js";
import { renderService } from "../../controller/desired/render/render.js";
import { liveMeta, planPrune } from "../../controller/prune/inventory.js";
import { pruneSet } from "../../controller/prune/prune-set.js";
import type { ServiceState } from "../../controller/record/state/state.js";
import { syncService } from "../../controller/sync/service-sync.js";
import { createKubeRequest } from "../../kube/http.js";
import { loadKubeConfigFiles } from "../../kube/kubeconfig.js";
import { type KubeObject, type ObjectRef, refKey, refOf } from "../../kube/objects.js";
import { createTestNamespace, kubeconfigPath, kubectl, type TestNamespace, waitFor } from "./cluster.js";

// Prune on the real apiserver, the way fluxcd/pkg ssa's manager_delete.go deletes: the guards come from the sync
// itself, each candidate is read live and checked for our label, this service's annotation and the opt-out
// annotation, deletes carry the UID that was read, and custom resources go before their CRD.

const log = pino({ level: "silent" });
const SERVICE = "shop";

let ns: TestNamespace;
let readObject: (ref: ObjectRef) => Promise<KubeObject | undefined>;
const applyers: Record<"kubectl" | "api", () => Applyer> = {
  kubectl: () => createKubectlApplyer({ kubeconfig: kubeconfigPath(), log }),
  api: () => {
    const kc = loadKubeConfigFiles([kubeconfigPath()]);
    return createKubeApiApplyer({ request: createKubeRequest(kc), log });
  },
};
/** chain is the production default: kubectl first, the API applyer when kubectl is unavailable. */
const chain = () => createApplyerChain({ applyers: [applyers.kubectl(), applyers.api()], log });

beforeAll(async () => {
  ns = await createTestNamespace("e2e-prune");
  const kc = loadKubeConfigFiles([kubeconfigPath()]);
  readObject = createKubeObjectReader(createKubeRequest(kc));
});
afterAll(async () => {
  await ns?.cleanup();
});

const configMap = (name: string, extra = "") =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}}\ndata: {k: ${name}}\n${extra}`;

function render(files: Record<string, string>): KubeObject[] {
  const objects = Object.entries(files).flatMap(([path, text]) => parseManifests(path, text).objects);
  return renderService({
    service: SERVICE,
    objects,
    configFiles: [],
    defaultNamespace: ns.name,
    stateless: false,
  });
}

async function exists(kind: string, name: string): Promise<boolean> {
  return (await kubectl(["-n", ns.name, "get", kind, name, "--ignore-not-found", "-o", "name"])) !== "";
}

async function uidOf(kind: string, name: string): Promise<string> {
  return kubectl(["-n", ns.name, "get", kind, name, "-o", "jsonpath={.metadata.uid}"]);
}

describe("the sync's guards on a real apiserver", () => {
  const service = (): ServiceConfig => ({
    name: SERVICE,
    repoKey: "main",
    dir: "svc",
    stateless: false,
    namespace: ns.name,
    reconcileIntervalSeconds: 0,
    drift: "correct",
  });
  const repo: RepoConfig = {
    key: "main",
    owner: "org",
    name: "gitops",
    branch: "main",
    apiUrl: "http://127.0.0.1:9",
    htmlUrl: "http://127.0.0.1:9/org/gitops",
    webhookSecretEnv: "WEBHOOK_SECRET",
  };
  let state: ServiceState = { files: {}, inventory: [], objects: [], failures: 0 };

  /** sync runs one real sync of the service at a commit holding `files`, with prune on, and keeps its state. */
  async function sync(files: Record<string, string>) {
    const { result, state: next } = await syncService(
      {
        service: service(),
        repo,
        commit: createHash("sha1").update(JSON.stringify(files)).digest("hex"),
        files: {
          ok: true,
          service: SERVICE,
          dir: "svc",
          changed: true,
          files: Object.entries(files).map(([path, content]) => ({
            path,
            sha: createHash("sha1").update(content).digest("hex"),
            size: content.length,
            changed: true,
            content,
          })),
          deleted: [],
        },
        state,
        trigger: "manual",
      },
      {
        applyer: chain(),
        readObject,
        healthTimeoutMs: 0,
        prune: true,
        dryRun: false,
        retryBaseMs: 1_000,
        parseCache: createParseCache(),
        clock: systemClock,
        log,
      },
    );
    state = next;
    return result;
  }

  const FILES = { "svc/a.yaml": configMap("a"), "svc/b.yaml": configMap("b1") };

  beforeAll(async () => {
    const first = await sync(FILES);
    expect(first.status).toBe("applied");
    expect(state.inventory.map((r) => r.name)).toEqual(["a", "b1"]);
  });

  it("prunes nothing after a listing that failed (a file that does not parse)", async () => {
    // Without the listing guard this set looks empty, and every object of the service would be deleted.
    const result = await sync({ "svc/a.yaml": FILES["svc/a.yaml"], "svc/broken.yaml": "kind: [unclosed\n" });
    expect(result.status).toBe("failed");
    expect(result.error?.code).toBe("E_MANIFEST_PARSE");
    expect(result.pruned).toEqual([]);
    expect([await exists("configmap", "a"), await exists("configmap", "b1")]).toEqual([true, true]);
  });

  it("prunes nothing after a partial listing, even when what was listed applied", async () => {
    // The sync above also reports its apply incomplete when the listing fails; this holds the listing guard alone.
    const result = await pruneSet(
      {
        service: SERVICE,
        previous: state.inventory,
        desired: render({ "svc/a.yaml": FILES["svc/a.yaml"] }).map(refOf),
        listingComplete: false,
        applyComplete: true,
        prune: true,
      },
      { applyer: chain(), log, readObject },
    );
    expect(result).toEqual({ pruned: [], orphaned: [], kept: [] });
    expect(await exists("configmap", "b1")).toBe(true);
  });

  it("prunes nothing after an apply the server rejected in part", async () => {
    // b.yaml left git, but c.yaml was refused (strict field validation): the set did not land, so nothing goes.
    const result = await sync({
      "svc/a.yaml": FILES["svc/a.yaml"],
      "svc/c.yaml": configMap("c", "spec: {}\n"),
    });
    expect(result.status).toBe("failed");
    expect(result.objects.find((o) => o.name === "c")?.action).toBe("failed");
    expect(result.pruned).toEqual([]);
    expect(await exists("configmap", "b1")).toBe(true);
  });

  it("prunes what left git once the set landed, and then has nothing left to prune", async () => {
    const result = await sync({ "svc/a.yaml": FILES["svc/a.yaml"] });
    expect(result.status).toBe("applied");
    expect(result.pruned.map((o) => `${o.name}:${o.action}`)).toEqual(["b1:deleted"]);
    expect(await exists("configmap", "b1")).toBe(false);
    expect(state.inventory.map((r) => r.name)).toEqual(["a"]);
    const again = await sync({ "svc/a.yaml": FILES["svc/a.yaml"] });
    expect(again.pruned).toEqual([]);
  });
});

describe("prune checks the live object", () => {
  it("deletes what left git and keeps what is no longer ours or opted out", async () => {
    const objects = render({
      "svc/keep.yaml": configMap("keep"),
      "svc/gone.yaml": configMap("gone"),
      "svc/hand.yaml": configMap("hand"),
      "svc/pinned.yaml": configMap("pinned"),
      "svc/moved.yaml": configMap("moved"),
    });
    const applied = await chain().apply(objects);
    expect(applied.objects.every((o) => o.action === "created")).toBe(true);
    // Taken over by hand, opted out, and moved to another service, each on the live object only.
    await kubectl(["-n", ns.name, "label", "configmap", "hand", "app.kubernetes.io/managed-by-"]);
    await kubectl(["-n", ns.name, "annotate", "configmap", "pinned", "simple-gitops.io/prune=disabled"]);
    await kubectl([
      "-n",
      ns.name,
      "annotate",
      "--overwrite",
      "configmap",
      "moved",
      "simple-gitops.io/service=billing",
    ]);

    const result = await pruneSet(
      {
        service: SERVICE,
        previous: objects.map(refOf),
        desired: [refOf(objects.find((o) => o.metadata.name === "keep") as KubeObject)],
        listingComplete: true,
        applyComplete: true,
        prune: true,
      },
      { applyer: chain(), log, readObject },
    );
    expect(result.pruned.map((o) => `${o.name}:${o.action}`)).toEqual(["gone:deleted"]);
    expect(result.kept.map((k) => `${k.ref.name}:${k.reason}`).sort()).toEqual([
      "hand:not-managed",
      "moved:other-service",
      "pinned:disabled",
    ]);
    const left = await Promise.all(
      ["keep", "gone", "hand", "pinned", "moved"].map((n) => exists("configmap", n)),
    );
    expect(left).toEqual([true, false, true, true, true]);
  });

  it.each([
    "kubectl",
    "api",
  ] as const)("the %s applyer does not delete an object re-created since it was read (UID precondition)", async (name) => {
    const applyer = applyers[name]();
    const objects = render({
      "svc/r.yaml": configMap(`recreated-${name}`),
      "svc/s.yaml": configMap(`stays-${name}`),
    });
    await applyer.apply(objects);
    const refs = objects.map(refOf);
    const live = new Map(
      await Promise.all(refs.map(async (r) => [refKey(r), liveMeta(await readObject(r))] as const)),
    );
    const plan = planPrune({
      service: SERVICE,
      previous: refs,
      desired: [],
      applyComplete: true,
      listingComplete: true,
      live,
    });
    expect(plan.prune.map((r) => r.uid)).toEqual([
      await uidOf("configmap", `recreated-${name}`),
      await uidOf("configmap", `stays-${name}`),
    ]);

    // Between the read and the delete, someone deletes and re-creates one of them under the same name.
    const staleUid = await uidOf("configmap", `recreated-${name}`);
    await kubectl(["-n", ns.name, "delete", "configmap", `recreated-${name}`]);
    await applyer.apply(objects.slice(0, 1));
    const freshUid = await uidOf("configmap", `recreated-${name}`);
    expect(freshUid).not.toBe(staleUid);

    const deleted = await applyer.delete(plan.prune);
    expect(deleted.objects.map((o) => `${o.name}:${o.action}`)).toEqual([
      `recreated-${name}:conflict`,
      `stays-${name}:deleted`,
    ]);
    expect(deleted.objects[0]?.message).toContain("UID");
    expect(await uidOf("configmap", `recreated-${name}`)).toBe(freshUid);
    expect(await exists("configmap", `stays-${name}`)).toBe(false);
  });

  it("deletes custom resources before their CRD", async () => {
    const group = `e2e-${randomBytes(4).toString("hex")}.example.com`;
    const crd: KubeObject = {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: `widgets.${group}` },
      spec: {
        group,
        scope: "Namespaced",
        names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList" },
        versions: [
          {
            name: "v1",
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
          },
        ],
      },
    };
    const widget = (name: string): KubeObject => ({
      apiVersion: `${group}/v1`,
      kind: "Widget",
      metadata: { name },
      size: 1,
    });
    const objects = renderService({
      service: SERVICE,
      objects: [widget("w1"), crd, widget("w2")].map((object) => ({ path: "svc/widgets.yaml", object })),
      configFiles: [],
      defaultNamespace: ns.name,
      stateless: false,
    });
    try {
      const applied = await chain().apply(objects);
      expect(applied.objects.map((o) => o.action)).toEqual(["created", "created", "created"]);

      // The real chain, with each delete call recorded: an applyer deletes one call's refs concurrently.
      const real = chain();
      const calls: DeleteRef[][] = [];
      const recording: Applyer = {
        ...real,
        delete: (refs) => {
          calls.push([...refs]);
          return real.delete(refs);
        },
      };
      const result = await pruneSet(
        {
          service: SERVICE,
          previous: objects.map(refOf),
          desired: [],
          listingComplete: true,
          applyComplete: true,
          prune: true,
        },
        { applyer: recording, log, readObject },
      );
      expect(calls.map((call) => call.map((r) => `${r.kind}/${r.name}`))).toEqual([
        ["Widget/w1", "Widget/w2"],
        [`CustomResourceDefinition/widgets.${group}`],
      ]);
      expect(result.pruned.map((o) => `${o.kind}:${o.action}`)).toEqual([
        "Widget:deleted",
        "Widget:deleted",
        "CustomResourceDefinition:deleted",
      ]);
      await waitFor(
        async () =>
          (await kubectl(["get", "crd", `widgets.${group}`, "--ignore-not-found", "-o", "name"])) === "",
        { timeoutMs: 60_000, what: `CRD widgets.${group} to be gone` },
      );
    } finally {
      await kubectl(["delete", "crd", `widgets.${group}`, "--ignore-not-found", "--wait=false"]);
    }
  });
});

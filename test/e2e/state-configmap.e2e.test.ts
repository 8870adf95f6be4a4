import { KubeConfig } from "@kubernetes/client-node";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConfigMapStateStore, STATE_KEY } from "../../controller/state/configmap.js";
import {
  type AuditEvent,
  type ControllerState,
  emptyServiceState,
  emptyState,
  MAX_EVENTS,
} from "../../controller/state/state.js";
import { createKubeRequest, type KubeRequest } from "../../kube/http.js";
import { createTestNamespace, kubeconfigPath, kubectl, kubectlJson, type TestNamespace } from "./cluster.js";

const silent = pino({ level: "silent" });

function stateAt(commit: string): ControllerState {
  return {
    ...emptyState(),
    services: { shop: { ...emptyServiceState(), commit, files: { "shop/a.yaml": `sha-${commit}` } } },
  };
}

function bigEvent(id: number): AuditEvent {
  return {
    id: String(id),
    time: new Date(Date.UTC(2024, 0, 1, 0, 0, id)).toISOString(),
    trigger: "poll",
    kind: "apply",
    service: "shop",
    repo: "o/r",
    commit: "c".repeat(40),
    result: "succeeded",
    // About 8 KiB each: 200 of them are well over the 1 MiB a ConfigMap may hold.
    objects: Array.from({ length: 80 }, (_, i) => ({
      kind: "ConfigMap",
      namespace: "shop",
      name: `object-${id}-${i}-${"x".repeat(40)}`,
      action: "configured",
    })),
    durationMs: 12,
  };
}

interface ConfigMapJson {
  metadata: { labels?: Record<string, string> };
  data?: Record<string, string>;
}

describe("the ConfigMap state store on a real apiserver", () => {
  let ns: TestNamespace;
  let request: KubeRequest;
  let counter = 0;
  // Each test gets its own ConfigMap so none sees another's writes.
  const store = (name: string, log = silent) =>
    createConfigMapStateStore({ namespace: ns.name, name, request, log });
  const fresh = () => `state-${++counter}`;
  const stored = async (name: string) =>
    JSON.parse(
      (await kubectlJson<ConfigMapJson>(["-n", ns.name, "get", "configmap", name])).data?.[STATE_KEY] ?? "",
    ) as ControllerState;

  beforeAll(async () => {
    ns = await createTestNamespace("e2e-state-cm");
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath());
    request = createKubeRequest(kc);
  });
  afterAll(async () => {
    await ns?.cleanup();
  });

  it("loads the empty state when the ConfigMap does not exist, without creating it", async () => {
    const name = fresh();
    expect(await store(name).load()).toEqual(emptyState());
    expect(await kubectl(["-n", ns.name, "get", "configmap", name, "--ignore-not-found", "-o", "name"])).toBe(
      "",
    );
  });

  it("saves and loads the same state, in a ConfigMap prune never selects", async () => {
    const name = fresh();
    const s = store(name);
    await s.load();
    await s.save(stateAt("a1"));
    expect(await s.load()).toEqual(stateAt("a1"));
    await s.save(stateAt("a2"));
    expect(await s.load()).toEqual(stateAt("a2"));
    const cm = await kubectlJson<ConfigMapJson>(["-n", ns.name, "get", "configmap", name]);
    expect(cm.metadata.labels).toEqual({ "app.kubernetes.io/managed-by": "simple-gitops-controller" });
    expect(Object.keys(cm.data ?? {})).toEqual([STATE_KEY]);
  });

  it("gives a new store instance, as after a restart, what the last one saved", async () => {
    const name = fresh();
    const before = store(name);
    await before.load();
    await before.save(stateAt("b1"));
    const after = store(name);
    expect(await after.load()).toEqual(stateAt("b1"));
    await after.save(stateAt("b2"));
    expect(await stored(name)).toEqual(stateAt("b2"));
  });

  const races = [
    { name: "updating an existing ConfigMap", existing: true },
    { name: "creating the ConfigMap", existing: false },
  ];
  it.each(
    races,
  )("lets exactly one of two concurrent writers win when $name, and never overwrites it", async ({
    existing,
  }) => {
    const name = fresh();
    if (existing) {
      const seed = store(name);
      await seed.load();
      await seed.save(stateAt("seed"));
    }
    const a = store(name);
    const b = store(name);
    await Promise.all([a.load(), b.load()]);
    const results = await Promise.allSettled([a.save(stateAt("from-a")), b.save(stateAt("from-b"))]);
    const won = results.flatMap((r, i) => (r.status === "fulfilled" ? [i === 0 ? "from-a" : "from-b"] : []));
    const lost = results.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
    expect(won).toHaveLength(1);
    expect(lost).toEqual([
      expect.objectContaining({
        code: "E_STATE",
        message: expect.stringMatching(/changed by another writer.*not overwriting it: load the state again/),
      }),
    ]);
    expect(await stored(name)).toEqual(stateAt(won[0] as string));

    // The loser keeps refusing until it has read the winner's state, then writes normally.
    const loser = won[0] === "from-a" ? b : a;
    await expect(loser.save(stateAt("stale-again"))).rejects.toMatchObject({ code: "E_STATE" });
    expect(await loser.load()).toEqual(stateAt(won[0] as string));
    await loser.save(stateAt("after-reload"));
    expect(await stored(name)).toEqual(stateAt("after-reload"));
  });

  it("accepts a conflict whose stored state is already exactly what it writes", async () => {
    const name = fresh();
    const a = store(name);
    const b = store(name);
    await Promise.all([a.load(), b.load()]);
    await a.save(stateAt("same"));
    // As when a write succeeded but its answer was lost and the same save is retried.
    await b.save(stateAt("same"));
    await b.save(stateAt("next"));
    expect(await stored(name)).toEqual(stateAt("next"));
  });

  it("drops the oldest audit events to stay under the ConfigMap limit, and warns", async () => {
    const name = fresh();
    const warnings: unknown[] = [];
    const log = pino({ level: "warn" }, { write: (line: string) => warnings.push(JSON.parse(line)) });
    const s = store(name, log);
    await s.load();
    const events = Array.from({ length: MAX_EVENTS }, (_, i) => bigEvent(i));
    expect(Buffer.byteLength(JSON.stringify(events))).toBeGreaterThan(1024 * 1024);
    await s.save({ ...stateAt("big"), events });

    const loaded = await store(name).load();
    expect(loaded.services).toEqual(stateAt("big").services);
    expect(loaded.events.length).toBeGreaterThan(0);
    expect(loaded.events.length).toBeLessThan(MAX_EVENTS);
    expect(loaded.events).toEqual(events.slice(MAX_EVENTS - loaded.events.length));
    expect(warnings).toEqual([
      expect.objectContaining({
        dropped: MAX_EVENTS - loaded.events.length,
        msg: "state too big for a ConfigMap: dropped the oldest audit events",
      }),
    ]);
  });
});

import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { connect, createServer as createNetServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConfigMapStateStore, STATE_KEY } from "../../controller/record/state/configmap.js";
import {
  type AuditEvent,
  type ControllerState,
  emptyServiceState,
  emptyState,
  MAX_EVENTS,
} from "../../controller/record/state/state.js";
import { createKubeRequest, type KubeRequest } from "../../kube/http.js";
import { loadKubeConfigFiles } from "../../kube/kubeconfig.js";
import { createGitHubWorld, type GitHubWorld } from "../github-server/harness.js";
import {
  createTestNamespace,
  kubeconfigPath,
  kubectl,
  kubectlJson,
  type TestNamespace,
  waitFor,
} from "./cluster.js";
import { startController } from "./controller-process.js";

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
    const kc = loadKubeConfigFiles([kubeconfigPath()]);
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

describe("an unreadable state ConfigMap", () => {
  let ns: TestNamespace;
  let request: KubeRequest;
  beforeAll(async () => {
    ns = await createTestNamespace("e2e-state-corrupt");
    request = createKubeRequest(loadKubeConfigFiles([kubeconfigPath()]));
  });
  afterAll(async () => {
    await ns?.cleanup();
  });

  const seeded = async (name: string, text: string) => {
    await kubectl(["-n", ns.name, "create", "configmap", name, `--from-literal=${STATE_KEY}=${text}`]);
  };
  const capture = () => {
    const lines: { level: number; msg: string; movedTo?: string; entry?: string }[] = [];
    return { lines, log: pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line)) }) };
  };

  it("is copied to a ConfigMap of its own, named in an error line, and the store starts empty", async () => {
    const garbage = '{"version":1,"services":{"shop":{"commit":"a1"';
    await seeded("state", garbage);
    const { lines, log } = capture();
    const store = createConfigMapStateStore({
      namespace: ns.name,
      name: "state",
      request,
      log,
      now: () => Date.UTC(2026, 10, 30, 7, 0, 0),
    });

    expect(await store.load()).toEqual(emptyState());
    const copy = "state-corrupt-20261130t070000z";
    expect(lines).toEqual([expect.objectContaining({ level: 50, movedTo: `ConfigMap ${ns.name}/${copy}` })]);
    const kept = await kubectlJson<ConfigMapJson>(["-n", ns.name, "get", "configmap", copy]);
    expect(kept.data?.[STATE_KEY]).toBe(garbage);
    expect(kept.metadata.labels).toEqual({ "app.kubernetes.io/managed-by": "simple-gitops-controller" });
    // The store goes on from the version it read: the next save replaces the garbage in place.
    await store.save(stateAt("fresh"));
    const live = await kubectlJson<ConfigMapJson>(["-n", ns.name, "get", "configmap", "state"]);
    expect(JSON.parse(live.data?.[STATE_KEY] ?? "")).toEqual(stateAt("fresh"));
  });

  it("keeps the valid services of a state with one malformed entry, dropping that one with an error", async () => {
    const state = {
      ...stateAt("c1"),
      services: { ...stateAt("c1").services, bad: { ...emptyServiceState(), retryAfter: "whenever" } },
    };
    await seeded("partly", JSON.stringify(state));
    const { lines, log } = capture();
    const loaded = await createConfigMapStateStore({
      namespace: ns.name,
      name: "partly",
      request,
      log,
    }).load();
    expect(loaded.services).toEqual(stateAt("c1").services);
    expect(lines).toEqual([expect.objectContaining({ level: 50, entry: 'service "bad"' })]);
    expect(await kubectl(["-n", ns.name, "get", "configmaps", "-o", "name"])).not.toContain("partly-corrupt");
  });
});

describe("a controller whose state ConfigMap cannot be reached at start-up", () => {
  let ns: TestNamespace;
  let world: GitHubWorld;
  let dir: string;
  beforeAll(async () => {
    ns = await createTestNamespace("e2e-state-down");
    world = await createGitHubWorld();
    const repo = await world.addRepo("org", "gitops", "t0ken");
    await repo.commit({
      "app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: app }\ndata: { a: b }\n",
    });
    dir = await mkdtemp(join(tmpdir(), "state-down-"));
  });
  afterAll(async () => {
    await world?.close();
    await ns?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it("stays up and unready with the reason, retries, and starts the loop once the apiserver answers", async () => {
    // The controller reaches the apiserver through a port where nothing listens yet; a proxy opens there later.
    const admin = await kubectlJson<{ clusters: { cluster: { server: string } }[] }>([
      "config",
      "view",
      "--raw",
      "--minify",
      "--flatten",
    ]);
    const real = new URL(admin.clusters[0]?.cluster.server ?? "");
    const port = await freePort();
    const kubeconfig = join(dir, "kubeconfig");
    await writeFile(
      kubeconfig,
      (await readFile(kubeconfigPath(), "utf8")).replaceAll(real.host, `127.0.0.1:${port}`),
    );
    const controller = await startController(
      `
github_configs:
  gitops: { repo_owner: org, repo_name: gitops, token_env: GH_TOKEN, api_url: "${world.server.url}" }
services:
  - { name: app, github: gitops, k8s_yaml_dir: app, namespace: ${ns.name}, stateless: false }
poll_interval: 2s
listen: "127.0.0.1:0"
applyers: [api]
state: configmap
`,
      { KUBECONFIG: kubeconfig, GH_TOKEN: "t0ken", PATH: process.env.PATH ?? "", POD_NAMESPACE: ns.name },
    );
    let proxy: Server | undefined;
    try {
      const unready = await waitFor(
        async () => {
          const res = await fetch(`${controller.url}/readyz`);
          return res.status === 503 ? ((await res.json()) as { message: string }) : undefined;
        },
        { timeoutMs: 30_000, what: "/readyz to answer 503" },
      );
      expect(unready.message).toMatch(
        /^not ready: stateStoreReachable \(ConfigMap .*simple-gitops-state.*\)/,
      );
      await waitFor(
        async () =>
          controller.logs().filter((l) => l.msg === "cannot load the state: not ready, retrying").length >= 2,
        {
          timeoutMs: 30_000,
          what: "a second try",
        },
      );
      expect(controller.process.exitCode).toBeNull();

      proxy = createNetServer((socket) => {
        const upstream = connect(Number(real.port), real.hostname);
        socket.pipe(upstream).pipe(socket);
        socket.on("error", () => upstream.destroy());
        upstream.on("error", () => socket.destroy());
      });
      await new Promise<void>((resolve) => proxy?.listen(port, "127.0.0.1", resolve));
      await waitFor(async () => (await fetch(`${controller.url}/readyz`)).status === 200, {
        timeoutMs: 60_000,
        what: "/readyz to answer 200 once the apiserver is reachable",
      });
      await waitFor(
        async () => (await kubectl(["-n", ns.name, "get", "configmap", "app", "-o", "name"])) !== "",
        {
          timeoutMs: 60_000,
          what: "the loop to apply the service",
        },
      );
      await waitFor(async () => (await stored(ns.name)).services.app?.commit !== undefined, {
        timeoutMs: 30_000,
        what: "the state ConfigMap to record the sync",
      });
    } finally {
      await controller.stop("SIGKILL");
      proxy?.close();
    }
  });
});

async function freePort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return typeof address === "object" && address ? address.port : 0;
}

async function stored(namespace: string): Promise<ControllerState> {
  const cm = await kubectlJson<ConfigMapJson>(["-n", namespace, "get", "configmap", "simple-gitops-state"]);
  return JSON.parse(cm.data?.[STATE_KEY] ?? "") as ControllerState;
}

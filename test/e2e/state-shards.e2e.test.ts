import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STATE_SHARDS, stateShardName } from "../../controller/desired/render/own-names.js";
import { MAX_HISTORY } from "../../controller/record/history.js";
import {
  CONFIGMAP_MAX_BYTES,
  createConfigMapStateStore,
  STATE_KEY,
} from "../../controller/record/state/configmap.js";
import { CONFLICT_TRIES } from "../../controller/record/state/configmap-write.js";
import { shardOf } from "../../controller/record/state/shard-of.js";
import {
  type AuditEvent,
  type ControllerState,
  emptyServiceState,
  emptyState,
  type ServiceState,
  withEvents,
} from "../../controller/record/state/state.js";
import { createKubeRequest, type KubeRequest } from "../../kube/http.js";
import { loadKubeConfigFiles } from "../../kube/kubeconfig.js";
import { createTestNamespace, kubeconfigPath, kubectl, type TestNamespace } from "./cluster.js";

const silent = pino({ level: "silent" });
const hex = (seed: string) => Buffer.from(seed.repeat(40)).toString("hex").slice(0, 40);

/** landedRecord is a service with three objects that landed MAX_HISTORY commits: a full record, about 9 KiB. */
function landedRecord(service: string, commit: string): ServiceState {
  const objects = ["Deployment", "Service", "ConfigMap"].map((kind) => ({
    apiVersion: kind === "Deployment" ? "apps/v1" : "v1",
    kind,
    namespace: `team-${service.length % 7}`,
    name: `${service}-app`,
  }));
  const path = (kind: string) => `apps/${service}/${kind.toLowerCase()}.yaml`;
  return {
    ...emptyServiceState(),
    commit: hex(commit),
    files: Object.fromEntries(objects.map((o) => [path(o.kind), hex(`${o.kind}${commit}`)])),
    inventory: objects,
    objects: objects.map((o) => ({ ...o, action: "unchanged", path: path(o.kind) })),
    lastDeployTime: "2026-01-01T00:00:00.000Z",
    history: Array.from({ length: MAX_HISTORY }, (_, i) => ({
      commit: hex(`${commit}${i}`),
      time: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
      trigger: "poll" as const,
      objects: 3,
      files: [path("Deployment")],
    })),
  };
}

function fleet(count: number, commit = "a"): ControllerState {
  const services = Object.fromEntries(
    Array.from({ length: count }, (_, i) => [`service-${i}`, landedRecord(`service-${i}`, commit)]),
  );
  return {
    ...emptyState(),
    services,
    repos: { gitops: { commit: hex(commit), time: "2026-01-01T00:00:00.000Z" } },
  };
}

/** withRecord is `base` with `service` landed at `commit`, as its owner records it. */
function withRecord(base: ControllerState, service: string, commit: string): ControllerState {
  return { ...base, services: { ...base.services, [service]: landedRecord(service, commit) } };
}

/** auditEvent is the audit entry of a sync of `service`, `second` seconds into 2026. */
function auditEvent(id: string, service: string, second: number): AuditEvent {
  return {
    id,
    time: new Date(Date.UTC(2026, 0, 2, 0, 0, second)).toISOString(),
    trigger: "poll",
    kind: "apply",
    service,
    repo: "gitops",
    commit: hex(id),
    result: "succeeded",
    objects: [],
    durationMs: 5,
  };
}

interface ConfigMapJson {
  metadata: { name: string; resourceVersion: string };
  data?: Record<string, string>;
}

describe("the ConfigMap state store, split over shards on a real apiserver", () => {
  let ns: TestNamespace;
  let request: KubeRequest;
  let counter = 0;
  const store = (name: string, log = silent) =>
    createConfigMapStateStore({ namespace: ns.name, name, request, log });
  const fresh = () => `state-${++counter}`;
  /** seed writes a document as the state key of a new ConfigMap, as a hand or another version would. */
  const seed = (cmName: string, document: unknown) =>
    kubectl([
      "-n",
      ns.name,
      "create",
      "configmap",
      cmName,
      `--from-literal=${STATE_KEY}=${JSON.stringify(document)}`,
    ]);
  /** stored is every ConfigMap of the state `name` (the index and its shards) that exists, by name. */
  const stored = async (name: string) => {
    const names = [name, ...Array.from({ length: STATE_SHARDS }, (_, i) => stateShardName(name, i))];
    const found = await Promise.all(
      names.map(async (cmName) => {
        const answer = await request("GET", `/api/v1/namespaces/${ns.name}/configmaps/${cmName}`);
        return answer.status === 200 ? [[cmName, answer.body as ConfigMapJson] as const] : [];
      }),
    );
    return new Map(found.flat());
  };
  /**
   * counting sends through the real client and keeps the name of each ConfigMap written (a PUT or a POST), and of
   * each write the apiserver refused with 409 Conflict; `before` runs ahead of each write, as another writer would.
   */
  const counting = (before?: (name: string) => Promise<void>) => {
    const written: string[] = [];
    const conflicts: string[] = [];
    const send: KubeRequest = async (method, path, body, options) => {
      if (method !== "PUT" && method !== "POST") return request(method, path, body, options);
      const cmName = (body as { metadata: { name: string } }).metadata.name;
      written.push(cmName);
      await before?.(cmName);
      const answer = await request(method, path, body, options);
      if (answer.status === 409) conflicts.push(cmName);
      return answer;
    };
    return { written, conflicts, send };
  };
  /** member is a store of the state `name` whose ConfigMaps are written through `send`, as one member's. */
  const member = (name: string, send: KubeRequest = request, maxBytes?: number) =>
    createConfigMapStateStore({ namespace: ns.name, name, request: send, log: silent, maxBytes });

  beforeAll(async () => {
    ns = await createTestNamespace("e2e-state-shards");
    request = createKubeRequest(loadKubeConfigFiles([kubeconfigPath()]));
  });
  afterAll(async () => {
    await ns?.cleanup();
  });

  it("saves 2 000 services' state in ConfigMaps each under the limit, and a restarted store loads it whole", async () => {
    const name = fresh();
    const state = fleet(2000);
    expect(Buffer.byteLength(JSON.stringify(state))).toBeGreaterThan(10 * CONFIGMAP_MAX_BYTES);
    const before = store(name);
    await before.load();
    await before.save(state);

    const all = await stored(name);
    const expected = [name, ...Array.from({ length: STATE_SHARDS }, (_, i) => stateShardName(name, i))];
    expect([...all.keys()].sort()).toEqual(expected.sort());
    for (const [cmName, cm] of all) {
      expect(Buffer.byteLength(cm.data?.[STATE_KEY] ?? ""), cmName).toBeLessThanOrEqual(CONFIGMAP_MAX_BYTES);
    }
    const index = JSON.parse(all.get(name)?.data?.[STATE_KEY] ?? "");
    expect(index).toMatchObject({ shards: STATE_SHARDS, services: {}, repos: state.repos });

    expect(await store(name).load()).toEqual(state);
  });

  it("rewrites only the shard of the service that changed, and the index; nothing when nothing changed", async () => {
    const name = fresh();
    const { written, send } = counting();
    const writer = createConfigMapStateStore({ namespace: ns.name, name, request: send, log: silent });
    await writer.load();
    const state = fleet(2000);
    await writer.save(state);
    expect(written.sort()).toEqual(
      [name, ...Array.from({ length: STATE_SHARDS }, (_, i) => stateShardName(name, i))].sort(),
    );

    const changed = "service-1234";
    const event = {
      id: "1",
      time: "2026-01-02T00:00:00.000Z",
      trigger: "poll" as const,
      kind: "apply" as const,
      service: changed,
      repo: "gitops",
      commit: hex("b"),
      result: "succeeded" as const,
      objects: [],
      durationMs: 5,
    };
    const next = withEvents(
      { ...state, services: { ...state.services, [changed]: landedRecord(changed, "b") } },
      [event],
    );
    written.length = 0;
    await writer.save(next);
    expect(written).toEqual([stateShardName(name, shardOf(changed, STATE_SHARDS)), name]);
    written.length = 0;
    await writer.save(structuredClone(next));
    expect(written).toEqual([]);
    expect((await store(name).load()).services[changed]?.commit).toBe(hex("b"));
  });

  it("reuses the records of every shard no writer changed since it last read them, and reads the changed one", async () => {
    const name = fresh();
    const writer = store(name);
    await writer.load();
    const state = fleet(300);
    await writer.save(state);
    const reader = store(name);
    const first = await reader.load();
    const second = await reader.load();
    const reused = (a: ControllerState, b: ControllerState) =>
      Object.keys(b.services).filter((service) => a.services[service] === b.services[service]);
    expect(reused(first, second).sort()).toEqual(Object.keys(state.services).sort());

    const changed = "service-7";
    const next = { ...state, services: { ...state.services, [changed]: landedRecord(changed, "b") } };
    await writer.save(next);
    const third = await reader.load();
    expect(third).toEqual(next);
    const untouched = Object.keys(state.services).filter(
      (service) => shardOf(service, STATE_SHARDS) !== shardOf(changed, STATE_SHARDS),
    );
    expect(reused(second, third).sort()).toEqual(untouched.sort());
  });

  it("reads a state saved in one ConfigMap before the split, and splits it once its services outgrow half of one", async () => {
    const name = fresh();
    const old = fleet(3, "old");
    await seed(name, old);
    const s = store(name);
    expect(await s.load()).toEqual(old);

    const grown = { ...old, services: { ...fleet(40, "new").services, ...old.services } };
    await s.save(grown);
    expect([...(await stored(name)).keys()]).toEqual([name]);
    const big = { ...old, services: { ...fleet(2000, "new").services, ...old.services } };
    await s.save(big);
    expect((await stored(name)).size).toBe(1 + STATE_SHARDS);
    expect(await store(name).load()).toEqual(big);
  });

  it("merges two members' saves of the index at once: both keep their audit entries, repository and wait, neither fails", async () => {
    const name = fresh();
    const seed = member(name);
    await seed.load();
    await seed.save(fleet(300));
    const [countA, countB] = [counting(), counting()];
    const [a, b] = [member(name, countA.send), member(name, countB.send)];
    const [fromA, fromB] = await Promise.all([a.load(), b.load()]);
    // Each member records a sync of one of its services; a moves the repository, b hears another one must wait.
    const nextA = {
      ...withEvents(withRecord(fromA, "service-1", "from-a"), [auditEvent("a", "service-1", 1)]),
      repos: { ...fromA.repos, gitops: { commit: hex("from-a"), time: "2026-01-02T00:00:00.000Z" } },
    };
    const waiting = {
      other: { code: "E_RATE_LIMIT", message: "rate limited", since: "2026-01-02T00:00:00.000Z" },
    };
    const nextB = {
      ...withEvents(withRecord(fromB, "service-2", "from-b"), [auditEvent("b", "service-2", 2)]),
      waiting,
    };
    await Promise.all([a.save(nextA), b.save(nextB)]);

    const loaded = await store(name).load();
    expect(loaded.events.map((event) => event.id)).toEqual(["a", "b"]);
    expect([loaded.services["service-1"]?.commit, loaded.services["service-2"]?.commit]).toEqual([
      hex("from-a"),
      hex("from-b"),
    ]);
    expect([loaded.repos.gitops?.commit, loaded.waiting]).toEqual([hex("from-a"), waiting]);
    // Both wrote the index from the version they read: the second was refused, and merged in one more write.
    const ofIndex = (names: string[]) => names.filter((written) => written === name);
    const conflicts = ofIndex([...countA.conflicts, ...countB.conflicts]);
    expect(conflicts).toHaveLength(1);
    expect(ofIndex([...countA.written, ...countB.written])).toHaveLength(2 + conflicts.length);

    // The member refused holds the other's entry only in what it stored since: its next save keeps it all the same.
    const [merged, next, count] =
      ofIndex(countA.conflicts).length > 0 ? [a, nextA, countA] : [b, nextB, countB];
    count.written.length = 0;
    await merged.save(withEvents(next, [auditEvent("again", "service-1", 3)]));
    expect((await store(name).load()).events.map((event) => event.id)).toEqual(["a", "b", "again"]);
    expect([ofIndex(count.written), count.conflicts.length]).toEqual([[name], conflicts.length]);
  });

  it("lays a member's record over a shard another member saved since it loaded, keeping that member's", async () => {
    const name = fresh();
    const seed = member(name);
    await seed.load();
    const state = fleet(300);
    await seed.save(state);
    const shard = shardOf("service-0", STATE_SHARDS);
    const neighbour = Object.keys(state.services).find(
      (n) => n !== "service-0" && shardOf(n, STATE_SHARDS) === shard,
    );
    if (neighbour === undefined) throw new Error(`no other service of 300 is in shard ${shard}`);
    const counted = counting();
    const [a, b] = [member(name), member(name, counted.send)];
    const [fromA, fromB] = await Promise.all([a.load(), b.load()]);
    await a.save(withRecord(fromA, "service-0", "from-a"));
    const nextB = withRecord(fromB, neighbour, "from-b");
    await b.save(nextB);
    const commits = async () => {
      const loaded = await store(name).load();
      return [loaded.services["service-0"]?.commit, loaded.services[neighbour]?.commit];
    };
    expect(await commits()).toEqual([hex("from-a"), hex("from-b")]);
    const shardName = stateShardName(name, shard);
    const ofShard = (names: string[]) => names.filter((written) => written === shardName);
    expect(ofShard(counted.conflicts)).toHaveLength(1);
    expect(ofShard(counted.written)).toHaveLength(2);

    // b still holds service-0 as it loaded it: its next save of the shard keeps a's record all the same.
    counted.written.length = 0;
    await b.save(withRecord(nextB, neighbour, "from-b-again"));
    expect(await commits()).toEqual([hex("from-a"), hex("from-b-again")]);
    expect(ofShard(counted.written)).toHaveLength(1);
  });

  it("saves nothing after a load that failed part way, so another member's records read by it are not overwritten", async () => {
    const name = fresh();
    const seed = member(name);
    await seed.load();
    await seed.save(fleet(3));
    // a's reads of one shard fail while `failing` is set, as an apiserver that times out under load answers.
    const shard = stateShardName(name, 5);
    let failing = false;
    const send: KubeRequest = async (method, path, body, options) => {
      if (failing && method === "GET" && path.endsWith(`/${shard}`)) throw new Error("socket hang up");
      return request(method, path, body, options);
    };
    const [a, b] = [member(name, send), member(name)];
    const [fromA, fromB] = await Promise.all([a.load(), b.load()]);
    await b.save(withRecord(fromB, "service-1", "from-b"));
    failing = true;
    await expect(a.load()).rejects.toMatchObject({ code: "E_STATE" });
    failing = false;
    // a's caller still holds the state of its first load: service-1 as it was before b's save.
    const saved = await a.save(withRecord(fromA, "service-0", "from-a")).then(
      () => true,
      () => false,
    );
    const commits = async () => {
      const loaded = await store(name).load();
      return [loaded.services["service-0"]?.commit, loaded.services["service-1"]?.commit];
    };
    expect({ saved, commits: await commits() }).toEqual({ saved: false, commits: [hex("a"), hex("from-b")] });
    // Once a load finished, a's save goes through and keeps b's record.
    await a.save(withRecord(await a.load(), "service-0", "from-a"));
    expect(await commits()).toEqual([hex("from-a"), hex("from-b")]);
  });

  it("reports a failure, having written nothing over it, when another writer gets to the index first each try", async () => {
    const name = fresh();
    const seed = member(name);
    await seed.load();
    await seed.save(fleet(3));
    const rival = member(name);
    let rivalState = await rival.load();
    let rivalWrites = 0;
    const counted = counting(async (written) => {
      if (written !== name) return;
      rivalWrites++;
      rivalState = withEvents(rivalState, [auditEvent(`rival-${rivalWrites}`, "service-1", rivalWrites)]);
      await rival.save(rivalState);
    });
    const b = member(name, counted.send);
    const fromB = await b.load();
    await expect(b.save(withRecord(fromB, "service-0", "from-b"))).rejects.toMatchObject({
      code: "E_STATE",
      message: expect.stringContaining(`ConfigMap ${ns.name}/${name} was changed by another writer`),
    });
    expect(counted.conflicts).toHaveLength(CONFLICT_TRIES);
    expect(counted.written).toHaveLength(CONFLICT_TRIES);
    expect(await store(name).load()).toEqual(rivalState);
  });

  it("neither reads nor keeps a shard left from a split that never finished", async () => {
    const name = fresh();
    const small = fleet(3);
    const s = store(name);
    await s.load();
    await s.save(small);
    const orphan = shardOf("ghost", STATE_SHARDS);
    const stale = { ...emptyState(), services: { ghost: landedRecord("ghost", "stale") } };
    await seed(stateShardName(name, orphan), stale);
    const restarted = store(name);
    expect(await restarted.load()).toEqual(small);
    await restarted.save(fleet(2000));
    const loaded = await store(name).load();
    expect(loaded.services.ghost).toBeUndefined();
    expect(Object.keys(loaded.services)).toHaveLength(2000);
  });

  it("keeps another member's newer records when two members loaded the state before the split and both split it", async () => {
    const name = fresh();
    // A lowered limit splits the state past about 5 services of 9 KiB.
    const maxBytes = 100_000;
    const rename = (services: Record<string, ServiceState>, prefix: string) =>
      Object.fromEntries(Object.entries(services).map(([n, record]) => [`${prefix}-${n}`, record]));
    const newA = rename(fleet(6, "a").services, "a");
    const newB = rename(fleet(6, "b").services, "b");
    // a drops a service's record as it splits, one in a shard a writes, so b's stale copy is merged there.
    const shardsOfA = new Set(Object.keys(newA).map((n) => shardOf(n, STATE_SHARDS)));
    const removed = Array.from({ length: 1000 }, (_, i) => `removed-${i}`).find((n) =>
      shardsOfA.has(shardOf(n, STATE_SHARDS)),
    );
    if (removed === undefined) throw new Error("no service name of 1 000 shares a shard with a's");
    const seedState = withRecord(fleet(3), removed, "a");
    const seeder = member(name, request, maxBytes);
    await seeder.load();
    await seeder.save(seedState);
    const ownA = "service-0";
    const ownB = ["service-1", "service-2"].find(
      (n) => shardOf(n, STATE_SHARDS) !== shardOf(ownA, STATE_SHARDS),
    );
    if (ownB === undefined) throw new Error(`every seeded service is in the shard of ${ownA}`);
    // The shard of a's service is left from a split that never finished; b's is absent.
    const ghost = { ...emptyState(), services: { ghost: landedRecord("ghost", "stale") } };
    await seed(stateShardName(name, shardOf(ownA, STATE_SHARDS)), ghost);

    const counted = counting();
    const b = member(name, counted.send, maxBytes);
    const fromB = await b.load();
    // b saves once before the split: what it wrote then, not what it loaded, is what it changes from.
    const savedB = withRecord(fromB, ownB, "from-b-1");
    await b.save(savedB);
    const a = member(name, request, maxBytes);
    const fromA = await a.load();
    const { [removed]: _removed, ...keptA } = fromA.services;
    const nextA = withRecord({ ...fromA, services: { ...keptA, ...newA } }, ownA, "from-a");
    await a.save(nextA);
    const index = (await stored(name)).get(name)?.data?.[STATE_KEY] ?? "";
    expect(JSON.parse(index).shards).toBe(STATE_SHARDS);
    counted.conflicts.length = 0;
    const nextB = withRecord({ ...savedB, services: { ...savedB.services, ...newB } }, ownB, "from-b-2");
    await b.save(nextB);

    const shardNames = [
      ...new Set([ownA, ownB, removed].map((n) => stateShardName(name, shardOf(n, STATE_SHARDS)))),
    ];
    expect(counted.conflicts.filter((n) => shardNames.includes(n)).sort()).toEqual([...shardNames].sort());
    const loaded = await store(name).load();
    expect(loaded.services).toEqual({ ...nextA.services, ...newB, [ownB]: landedRecord(ownB, "from-b-2") });
  });

  it("leaves out a service found in a shard its name does not lead to, and drops it from there at the next save", async () => {
    const name = fresh();
    // A lowered limit splits a state of 20 services.
    const small = (log = silent) =>
      createConfigMapStateStore({ namespace: ns.name, name, request, log, maxBytes: 100_000 });
    const s = small();
    await s.load();
    const state = fleet(20);
    await s.save(state);
    const into = (shardOf("service-0", STATE_SHARDS) + 1) % STATE_SHARDS;
    const stray = { ...emptyState(), services: { "service-0": landedRecord("service-0", "stray") } };
    await seed(stateShardName(name, into), stray);
    const lines: { level: number; entry?: string; store?: string }[] = [];
    const log = pino({ level: "error" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const restarted = small(log);
    const loaded = await restarted.load();
    expect(loaded).toEqual(state);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 50,
        entry: 'service "service-0"',
        store: `ConfigMap ${ns.name}/${stateShardName(name, into)}`,
      }),
    ]);
    await restarted.save(loaded);
    const left = (await stored(name)).get(stateShardName(name, into))?.data?.[STATE_KEY] ?? "";
    expect(Object.keys(JSON.parse(left).services)).not.toContain("service-0");
  });

  it("moves an unreadable shard aside, naming it, and loads every other shard's services", async () => {
    const name = fresh();
    const s = store(name);
    await s.load();
    const state = fleet(2000);
    await s.save(state);
    const broken = shardOf("service-0", STATE_SHARDS);
    await kubectl([
      "-n",
      ns.name,
      "patch",
      "configmap",
      stateShardName(name, broken),
      "--type=merge",
      "-p",
      JSON.stringify({ data: { [STATE_KEY]: '{"version":1,"services":{"servi' } }),
    ]);
    const lines: { level: number; movedTo?: string }[] = [];
    const log = pino({ level: "error" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const loaded = await createConfigMapStateStore({
      namespace: ns.name,
      name,
      request,
      log,
      now: () => Date.UTC(2026, 0, 2),
    }).load();
    const lost = Object.keys(state.services).filter((n) => shardOf(n, STATE_SHARDS) === broken);
    expect(lost.length).toBeGreaterThan(0);
    expect(Object.keys(loaded.services).sort()).toEqual(
      Object.keys(state.services)
        .filter((n) => !lost.includes(n))
        .sort(),
    );
    const copy = `${stateShardName(name, broken)}-corrupt-20260102t000000z`;
    expect(lines).toEqual([expect.objectContaining({ level: 50, movedTo: `ConfigMap ${ns.name}/${copy}` })]);
  });

  it("refuses to load an index whose shard count is not one it could have written, naming the field", async () => {
    const name = fresh();
    const index = { ...emptyState(), shards: "many" };
    await seed(name, index);
    await expect(store(name).load()).rejects.toMatchObject({
      code: "E_STATE",
      message: `ConfigMap ${ns.name}/${name}: shards: expected a whole number from 1 to 1024, got "many"; set it to the number of shard ConfigMaps that hold the services`,
    });
  });
});

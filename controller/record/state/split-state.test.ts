import { describe, expect, it } from "vitest";
import { shardOf } from "./shard-of.js";
import { joinState, shardDocument, splitState } from "./split-state.js";
import { type ControllerState, emptyServiceState, emptyState } from "./state.js";

function stateOf(count: number): ControllerState {
  const services = Object.fromEntries(
    Array.from({ length: count }, (_, i) => [`svc-${i}`, { ...emptyServiceState(), commit: `c${i}` }]),
  );
  return {
    ...emptyState(),
    services,
    repos: { gitops: { commit: "c1", time: "2026-01-01T00:00:00.000Z" } },
    waiting: { other: { code: "E_SOURCE_RATE_LIMITED", message: "wait", since: "2026-01-01T00:00:00.000Z" } },
  };
}

describe("shardOf", () => {
  it("spreads 2 000 service names over every one of 64 shards, none holding over twice its share", () => {
    const counts = new Array<number>(64).fill(0);
    for (let i = 0; i < 2000; i++)
      counts[shardOf(`service-${i}`, 64)] = (counts[shardOf(`service-${i}`, 64)] ?? 0) + 1;
    expect(Math.min(...counts)).toBeGreaterThan(0);
    expect(Math.max(...counts)).toBeLessThanOrEqual((2 * 2000) / 64);
  });

  it("depends on the name and the count only", () => {
    const names = ["web", "db", "svc-17", "ünïcode"];
    expect(names.map((name) => shardOf(name, 64))).toEqual(names.map((name) => shardOf(`${name}`, 64)));
    expect(names.every((name) => shardOf(name, 1) === 0)).toBe(true);
  });
});

describe("splitState and joinState", () => {
  it("put every service in the shard its name leads to, and the rest in the index", () => {
    const state = stateOf(200);
    const { index, shards } = splitState(state, 16);
    expect(index).toEqual({ ...state, services: {}, shards: 16 });
    expect(shards).toHaveLength(16);
    shards.forEach((services, shard) => {
      for (const name of Object.keys(services)) expect(shardOf(name, 16), name).toBe(shard);
    });
    expect(shards.flatMap((services) => Object.keys(services)).sort()).toEqual(
      Object.keys(state.services).sort(),
    );
  });

  it("join what split cut, as stored documents, back into the same state", () => {
    const state = stateOf(200);
    const { index, shards } = splitState(state, 16);
    const stored = shards.map((services) => JSON.parse(JSON.stringify(shardDocument(services))));
    const joined = joinState(JSON.parse(JSON.stringify(index)), stored);
    expect(joined).toEqual({ state, strays: [] });
  });

  it("leave out a service found in a shard its name does not lead to, naming both shards", () => {
    const { index, shards } = splitState(stateOf(40), 4);
    const into = (shardOf("svc-0", 4) + 1) % 4;
    const moved = shards.map((services, shard) =>
      shardDocument(
        shard === into ? { ...services, "svc-0": { ...emptyServiceState(), commit: "stale" } } : services,
      ),
    );
    const { state, strays } = joinState(index, moved);
    expect(strays).toEqual([{ service: "svc-0", foundIn: into, belongsIn: shardOf("svc-0", 4) }]);
    expect(state.services["svc-0"]?.commit).toBe("c0");
  });

  it("take nothing from a shard that could not be read", () => {
    const { index, shards } = splitState(stateOf(40), 4);
    const { state } = joinState(index, [undefined, ...shards.slice(1).map(shardDocument)]);
    expect(Object.keys(state.services).sort()).toEqual(
      Object.keys(stateOf(40).services)
        .filter((name) => shardOf(name, 4) !== 0)
        .sort(),
    );
  });
});

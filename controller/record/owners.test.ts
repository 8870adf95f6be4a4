import { describe, expect, it } from "vitest";
import type { ObjectRef } from "../desired/render/types.js";
import { ownerLookup } from "./owners.js";
import { type ControllerState, emptyServiceState, emptyState, type ServiceState } from "./state/state.js";

const cm = (name: string): ObjectRef => ({ apiVersion: "v1", kind: "ConfigMap", namespace: "apps", name });

function record(names: readonly string[], path?: string): ServiceState {
  return {
    ...emptyServiceState(),
    inventory: names.map(cm),
    objects: names.map((name) => ({ ...cm(name), action: "created", ...(path ? { path } : {}) })),
  } as ServiceState;
}

const withServices = (state: ControllerState, services: Record<string, ServiceState | undefined>) => {
  const next = { ...state.services, ...services };
  for (const [name, value] of Object.entries(services)) if (value === undefined) delete next[name];
  return { ...state, services: next as Record<string, ServiceState> };
};

describe("ownerLookup", () => {
  it("follows each new state: a recorded service's objects, one whose inventory changed, one removed", () => {
    let state: ControllerState = withServices(emptyState(), {
      web: record(["web-1", "web-2"], "web/cm.yaml"),
      db: record(["db-1"]),
    });
    const ownerOf = ownerLookup(() => state);
    expect(ownerOf(cm("web-2"))).toEqual({ service: "web", path: "web/cm.yaml" });
    expect(ownerOf(cm("db-1"))).toEqual({ service: "db" });
    state = withServices(state, { web: record(["web-1"]), cache: record(["cache-1"]) });
    expect(ownerOf(cm("web-2"))).toBeUndefined();
    expect(ownerOf(cm("web-1"))).toEqual({ service: "web" });
    expect(ownerOf(cm("cache-1"))).toEqual({ service: "cache" });
    state = withServices(state, { db: undefined });
    expect(ownerOf(cm("db-1"))).toBeUndefined();
    expect(ownerOf(cm("cache-1"))).toEqual({ service: "cache" });
  });

  it("indexes again only the services whose record changed", () => {
    const services = Object.fromEntries(
      Array.from({ length: 200 }, (_, i) => [`svc-${i}`, record([`svc-${i}-a`, `svc-${i}-b`])]),
    );
    let state: ControllerState = withServices(emptyState(), services);
    let reads = 0;
    const counted = (value: ServiceState): ServiceState =>
      new Proxy(value, {
        get(target, key, receiver) {
          if (key === "inventory") reads += 1;
          return Reflect.get(target, key, receiver);
        },
      });
    state = {
      ...state,
      services: Object.fromEntries(Object.entries(state.services).map(([n, r]) => [n, counted(r)])),
    };
    const ownerOf = ownerLookup(() => state);
    expect(ownerOf(cm("svc-7-b"))).toEqual({ service: "svc-7" });
    expect(reads).toBe(200);
    state = withServices(state, { "svc-3": counted(record(["svc-3-a", "svc-3-c"])) });
    expect(ownerOf(cm("svc-3-c"))).toEqual({ service: "svc-3" });
    expect(reads).toBe(201);
  });
});

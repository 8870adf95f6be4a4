import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  json,
  type RunningServer,
  startTestServer,
  testConfig,
  testEvent,
} from "../../../test/server/test-harness.js";
import type { ControllerState, ServiceState } from "../../record/state/state.js";

const SERVICES = 500;
const FILES = 20;
const sha = (n: number) => n.toString(16).padStart(40, "0");

/** The load: 500 services of 20 files each, every one deployed with its objects and last result. */
function bigWorld() {
  const base = testConfig();
  const template = base.services[0];
  if (!template) throw new Error("test config has no service");
  const names = Array.from({ length: SERVICES }, (_, i) => `svc-${String(i).padStart(3, "0")}`);
  const config = { ...base, services: names.map((name) => ({ ...template, name, dir: `apps/${name}` })) };
  const objects = (name: string) =>
    Array.from({ length: FILES }, (_, i) => ({
      apiVersion: "v1",
      kind: "ConfigMap",
      namespace: "apps",
      name: `${name}-${i}`,
      action: "configured" as const,
    }));
  const services: Record<string, ServiceState> = Object.fromEntries(
    names.map((name, i) => [
      name,
      {
        commit: sha(i),
        files: Object.fromEntries(
          Array.from({ length: FILES }, (_, f) => [`apps/${name}/${f}.yaml`, sha(f)]),
        ),
        objects: objects(name),
        inventory: objects(name).map(({ action: _action, ...ref }) => ref),
        lastDeployTime: "2025-09-01T11:45:02.456Z",
        failures: 0,
      },
    ]),
  );
  const state: ControllerState = {
    version: 1,
    services,
    repos: {},
    events: names.slice(-200).map((name, i) => testEvent(i, { service: name, objects: objects(name) })),
  };
  return { config, state, names };
}

describe("/v1/gitops/services pages", () => {
  let t: RunningServer;
  const world = bigWorld();
  beforeAll(async () => {
    t = await startTestServer({ config: world.config });
    t.state = world.state;
  });
  afterAll(() => t.server.close());

  it("walks 500 services page by page through `next`, each once and in config order", async () => {
    const seen: string[] = [];
    const sizes: number[] = [];
    let next: string | null = "/v1/gitops/services";
    while (next) {
      const res = await fetch(`${t.url}${next}`);
      expect(res.status).toBe(200);
      const text = await res.text();
      sizes.push(Buffer.byteLength(text));
      const body = JSON.parse(text);
      expect(body.total).toBe(SERVICES);
      expect(body.count).toBe(body.services.length);
      seen.push(...body.services.map((s: { name: string }) => s.name));
      next = body.next;
    }
    expect(seen).toEqual(world.names);
    expect(sizes).toHaveLength(Math.ceil(SERVICES / 100));
    const whole = await fetch(`${t.url}/v1/gitops/services?limit=1000`);
    const wholeBytes = Buffer.byteLength(await whole.text());
    // A default page costs a fifth of the whole list.
    expect(sizes[0]).toBeLessThan(wholeBytes / 4);
  });

  it("starts after the named service and says where the next page starts", async () => {
    const body = await json(await fetch(`${t.url}/v1/gitops/services?limit=2&after=svc-009`));
    expect(body.services.map((s: { name: string }) => s.name)).toEqual(["svc-010", "svc-011"]);
    expect(body.next).toBe("/v1/gitops/services?limit=2&after=svc-011");
    const last = await json(await fetch(`${t.url}/v1/gitops/services?limit=5&after=svc-497`));
    expect(last.services.map((s: { name: string }) => s.name)).toEqual(["svc-498", "svc-499"]);
    expect(last.next).toBeNull();
  });

  const bad = [
    { query: "limit=0", param: "limit" },
    { query: "limit=1001", param: "limit" },
    { query: "limit=ten", param: "limit" },
    { query: "limit=1&limit=2", param: "limit" },
    { query: "after=nope", param: "after" },
    { query: "after=svc-001&after=svc-002", param: "after" },
  ];
  it.each(bad)("answers 400 naming the parameter for ?$query", async ({ query, param }) => {
    const res = await fetch(`${t.url}/v1/gitops/services?${query}`);
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.error).toBe("bad_request");
    expect(body.message.startsWith(`${param} must`)).toBe(true);
  });
});

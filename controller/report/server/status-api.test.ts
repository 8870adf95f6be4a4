import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { json, type RunningServer, startTestServer, testEvent } from "../../../test/server/test-harness.js";
import { Secret } from "../../config/secret.js";
import { emptyState } from "../../record/state/state.js";

describe("status API", () => {
  let t: RunningServer;
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t.server.close());

  it("answers /v1/gitops/repos in the seed's shape: the newest commit every service landed at, empty strings when none", async () => {
    const res = await fetch(`${t.url}/v1/gitops/repos`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({
      count: 3,
      repos: [
        {
          repo: "AI-Infra-Team/nokube",
          url: "https://github.com/AI-Infra-Team/nokube",
          branch: "main",
          // etcd landed at a1b2…, but monitoring failed there: the repository is at the commit both landed at.
          last_deploy_time: "2025-08-31T09:00:00Z",
          last_commit_id: "0000000000000000000000000000000000000old",
          services: ["etcd", "monitoring"],
          service_count: 2,
        },
        {
          repo: "Codertocat/Hello-World",
          url: "https://github.com/Codertocat/Hello-World",
          branch: "master",
          last_deploy_time: "",
          last_commit_id: "",
          services: ["hello"],
          service_count: 1,
        },
        {
          repo: "acme/idle",
          url: "https://github.com/acme/idle",
          branch: "main",
          last_deploy_time: "",
          last_commit_id: "",
          services: [],
          service_count: 0,
        },
      ],
      timestamp: "2025-09-01T11:46:00Z",
    });
  });

  it("reads the live state on every request", async () => {
    const before = t.state;
    t.state = emptyState();
    const body = await json(await fetch(`${t.url}/v1/gitops/repos`));
    t.state = before;
    expect(body.repos[0].last_commit_id).toBe("");
  });

  it("lists every configured service with state, commit, files, objects, last error and last result", async () => {
    const body = await json(await fetch(`${t.url}/v1/gitops/services`));
    expect(body.count).toBe(3);
    const byName = Object.fromEntries(body.services.map((s: { name: string }) => [s.name, s]));
    expect(byName.etcd).toMatchObject({
      state: "deployed",
      repo: "AI-Infra-Team/nokube",
      branch: "main",
      last_commit_id: "a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2",
      last_deploy_time: "2025-09-01T11:45:02Z",
      last_error: null,
      files: [
        { path: "examples/etcd/service.yaml", sha: "2222" },
        { path: "examples/etcd/statefulset.yaml", sha: "1111" },
      ],
      objects: [
        {
          apiVersion: "apps/v1",
          kind: "StatefulSet",
          namespace: "default",
          name: "etcd",
          action: "configured",
        },
      ],
      last_result: { id: "ev-3", result: "succeeded" },
    });
    expect(byName.monitoring).toMatchObject({
      state: "failed",
      failures: 2,
      last_error: { code: "E_APPLY", commit: "a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2" },
      last_result: { id: "ev-2", result: "failed" },
    });
    expect(byName.hello).toMatchObject({ state: "pending", last_commit_id: "", last_result: null });
  });

  it("answers one service with its recent events, and 404 JSON for an unknown one", async () => {
    const ok = await fetch(`${t.url}/v1/gitops/services/etcd`);
    expect(ok.status).toBe(200);
    const body = await json(ok);
    expect(body.name).toBe("etcd");
    expect(body.events.map((e: { id: string }) => e.id)).toEqual(["ev-3", "ev-1"]);

    const missing = await fetch(`${t.url}/v1/gitops/services/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: "not_found",
      message: 'unknown service "nope" (known: etcd, monitoring, hello)',
    });
  });

  const limits: { name: string; query: string; status: number; ids?: string[] }[] = [
    { name: "defaults to 50, newest first", query: "", status: 200, ids: ["ev-3", "ev-2", "ev-1"] },
    { name: "honours a small limit", query: "?limit=2", status: 200, ids: ["ev-3", "ev-2"] },
    { name: "accepts the maximum", query: "?limit=200", status: 200, ids: ["ev-3", "ev-2", "ev-1"] },
    { name: "refuses zero", query: "?limit=0", status: 400 },
    { name: "refuses more than 200", query: "?limit=201", status: 400 },
    { name: "refuses a negative number", query: "?limit=-1", status: 400 },
    { name: "refuses a fraction", query: "?limit=1.5", status: 400 },
    { name: "refuses text", query: "?limit=ten", status: 400 },
  ];
  it.each(limits)("events ?limit: $name", async ({ query, status, ids }) => {
    const res = await fetch(`${t.url}/v1/gitops/events${query}`);
    expect(res.status).toBe(status);
    const body = await json(res);
    if (ids) {
      expect(body.events.map((e: { id: string }) => e.id)).toEqual(ids);
      expect(body.count).toBe(ids.length);
    } else {
      expect(body).toEqual({
        error: "bad_request",
        message: "limit must be a whole number from 1 to 200 (default 50)",
      });
    }
  });

  it("returns at most 200 events even when the state holds more", async () => {
    const before = t.state;
    t.state = { ...before, events: Array.from({ length: 250 }, (_, i) => testEvent(i)) };
    const body = await json(await fetch(`${t.url}/v1/gitops/events?limit=200`));
    t.state = before;
    expect(body.count).toBe(200);
    expect(body.events[0].id).toBe("ev-249");
  });

  it("answers unknown routes with 404 JSON", async () => {
    const res = await fetch(`${t.url}/v1/gitops/nothing`, { method: "DELETE" });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: "not_found",
      message: "no route for DELETE /v1/gitops/nothing",
    });
  });
});

describe("status API with a read token", () => {
  let t: RunningServer;
  beforeAll(async () => {
    t = await startTestServer({ readAuthToken: new Secret("read-token-xyz") });
  });
  afterAll(() => t.server.close());

  const cases: { name: string; headers: Record<string, string>; status: number }[] = [
    { name: "no header", headers: {}, status: 401 },
    { name: "wrong token", headers: { authorization: "Bearer read-token-xy" }, status: 401 },
    { name: "not a bearer", headers: { authorization: "Basic read-token-xyz" }, status: 401 },
    { name: "right token", headers: { authorization: "Bearer read-token-xyz" }, status: 200 },
  ];
  it.each(cases)("/v1/gitops/repos with $name → $status", async ({ headers, status }) => {
    const res = await fetch(`${t.url}/v1/gitops/repos`, { headers });
    expect(res.status).toBe(status);
    const text = await res.text();
    expect(text).not.toContain("read-token-xyz");
    if (status === 401) expect(res.headers.get("www-authenticate")).toBe('Bearer realm="simple-gitops"');
  });

  it("keeps health, readiness and the status page open", async () => {
    for (const path of ["/healthz", "/readyz", "/ui", "/metrics"]) {
      expect((await fetch(`${t.url}${path}`)).status, path).toBe(200);
    }
  });
});

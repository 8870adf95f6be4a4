import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { json, type RunningServer, startTestServer } from "../../../test/server/test-harness.js";

describe("POST /v1/gitops/sync", () => {
  let t: RunningServer;
  let disabled: RunningServer;
  beforeAll(async () => {
    t = await startTestServer();
    disabled = await startTestServer({ syncToken: undefined });
  });
  afterAll(async () => {
    await t.server.close();
    await disabled.server.close();
  });

  const cases: {
    name: string;
    query?: string;
    auth?: string;
    status: number;
    body: object;
    requested?: object;
  }[] = [
    {
      name: "missing token",
      status: 401,
      body: {
        error: "unauthorized",
        message:
          "manual sync needs an Authorization: Bearer token, the value of GITOPS_SYNC_TOKEN in the controller's environment",
      },
    },
    {
      name: "wrong token of the same length",
      auth: "Bearer sync-token-124",
      status: 401,
      body: {
        error: "unauthorized",
        message:
          "manual sync needs an Authorization: Bearer token, the value of GITOPS_SYNC_TOKEN in the controller's environment",
      },
    },
    {
      name: "every service",
      auth: "Bearer sync-token-123",
      status: 202,
      body: { status: "accepted", trigger: "manual", service: "", repo: "" },
      requested: { trigger: "manual" },
    },
    {
      name: "one service",
      query: "?service=etcd",
      auth: "Bearer sync-token-123",
      status: 202,
      body: { status: "accepted", trigger: "manual", service: "etcd", repo: "" },
      requested: { trigger: "manual", service: "etcd" },
    },
    {
      name: "one repo",
      query: "?repo=hello",
      auth: "bearer sync-token-123",
      status: 202,
      body: { status: "accepted", trigger: "manual", service: "", repo: "hello" },
      requested: { trigger: "manual", repoKey: "hello" },
    },
    {
      name: "unknown service",
      query: "?service=nope",
      auth: "Bearer sync-token-123",
      status: 404,
      body: { error: "not_found", message: 'unknown service "nope"' },
    },
  ];
  it.each(cases)("$name → $status", async (c) => {
    t.syncRequests.length = 0;
    const headers: Record<string, string> = c.auth ? { authorization: c.auth } : {};
    const res = await fetch(`${t.url}/v1/gitops/sync${c.query ?? ""}`, { method: "POST", headers });
    expect(res.status).toBe(c.status);
    expect(await json(res)).toEqual(c.body);
    expect(t.syncRequests).toEqual(c.requested ? [c.requested] : []);
  });

  it("is disabled with an explanation when no token is configured", async () => {
    const res = await fetch(`${disabled.url}/v1/gitops/sync`, {
      method: "POST",
      headers: { authorization: "Bearer anything" },
    });
    expect(res.status).toBe(403);
    expect(await json(res)).toEqual({
      error: "forbidden",
      message:
        "manual sync is disabled: no sync token is configured (set GITOPS_SYNC_TOKEN in the controller's environment)",
    });
    expect(disabled.syncRequests).toEqual([]);
  });

  it("answers 503 with the scheduler's reason when it refuses", async () => {
    const refusing = await startTestServer({
      requestSync: () => ({ accepted: false, reason: "not the leader" }),
    });
    try {
      const res = await fetch(`${refusing.url}/v1/gitops/sync`, {
        method: "POST",
        headers: { authorization: "Bearer sync-token-123" },
      });
      expect(res.status).toBe(503);
      expect(await json(res)).toEqual({ error: "unavailable", message: "sync not accepted: not the leader" });
    } finally {
      await refusing.server.close();
    }
  });
});

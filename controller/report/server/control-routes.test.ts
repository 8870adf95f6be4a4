import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createManualTime, type ManualTime } from "../../../test/manual-time.js";
import {
  json,
  type RunningServer,
  startTestServer,
  testConfig,
  testState,
} from "../../../test/server/test-harness.js";
import type { SyncResult } from "../../record/result.js";
import type {
  ControlRefusal,
  RollbackAsk,
  RollbackOutcome,
  ServiceControl,
} from "../../record/service-control.js";
import { emptyServiceState } from "../../record/state/state.js";
import type { SuspendRequest } from "../../record/suspension.js";

const SHA = "b".repeat(40);
const AUTH = { authorization: "Bearer sync-token-123" };

/** controlled is a server whose loop answers as the test says, recording what it was asked. */
function controlled() {
  const asked: { kind: string; service: string; request: SuspendRequest | RollbackAsk }[] = [];
  let settle: (outcome: RollbackOutcome) => void = () => {};
  const answers: { refusal?: ControlRefusal } = {};
  const control: ServiceControl = {
    async changeSuspension(kind, service, request) {
      asked.push({ kind, service, request });
      if (answers.refusal) return answers.refusal;
      const suspension = {
        by: request.by,
        at: "2026-01-01T00:00:00.000Z",
        ...(request.reason ? { reason: request.reason } : {}),
      };
      return { ok: true, change: { changed: true, suspension } };
    },
    rollback(service, ask) {
      asked.push({ kind: "rollback", service, request: ask });
      if (answers.refusal) return answers.refusal;
      return { ok: true, commit: SHA, outcome: new Promise((resolve) => (settle = resolve)) };
    },
  };
  return { control, asked, answers, settle: (outcome: RollbackOutcome) => settle(outcome) };
}

const result = (status: SyncResult["status"], error?: SyncResult["error"]): SyncResult => ({
  service: "etcd",
  repoKey: "nokube",
  repo: "AI-Infra-Team/nokube@main",
  commit: SHA,
  trigger: "rollback",
  dryRun: false,
  status,
  startedAt: "2026-01-01T00:00:00.000Z",
  durationMs: 1200,
  files: { changed: [], applied: [], failed: [], deleted: [] },
  objects: [
    { apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "etcd", action: "configured" },
  ],
  pruned: [{ apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "newer", action: "deleted" }],
  unhealthy: [],
  orphaned: [],
  ...(error ? { error } : {}),
  ...(status === "applied"
    ? {
        suspended: {
          by: "alice",
          at: "2026-01-01T00:00:01.000Z",
          reason: `rolled back to ${SHA}`,
          commit: SHA,
        },
      }
    : {}),
});

let t: RunningServer;
let loop: ReturnType<typeof controlled>;
let time: ManualTime;
beforeEach(async () => {
  loop = controlled();
  time = createManualTime();
  t = await startTestServer({ control: loop.control, timers: time });
});
afterEach(async () => {
  await t.server.close();
});

const post = (path: string, body?: unknown, headers: Record<string, string> = AUTH) =>
  fetch(`${t.url}${path}`, {
    method: "POST",
    headers: body === undefined ? headers : { ...headers, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

describe("POST /v1/gitops/services/{name}/suspend and /resume", () => {
  it.each<{ name: string; headers: Record<string, string> }>([
    { name: "no token", headers: {} },
    { name: "a wrong token", headers: { authorization: "Bearer sync-token-124" } },
  ])("answers 401 to $name, naming the variable the token comes from but never its value", async ({
    headers,
  }) => {
    const res = await post("/v1/gitops/services/etcd/suspend", undefined, headers);
    expect(res.status).toBe(401);
    const body = await json(res);
    expect(body).toEqual({
      error: "unauthorized",
      message:
        "suspend, resume and rollback needs an Authorization: Bearer token, the value of GITOPS_SYNC_TOKEN in the controller's environment",
    });
    expect(JSON.stringify(body)).not.toContain("sync-token-123");
    expect(loop.asked).toEqual([]);
  });

  it("is disabled with a 403 naming the variable when no sync token is configured", async () => {
    const disabled = await startTestServer({
      control: loop.control,
      syncToken: undefined,
      syncTokenEnv: "MY_TOKEN",
    });
    try {
      const res = await fetch(`${disabled.url}/v1/gitops/services/etcd/resume`, {
        method: "POST",
        headers: AUTH,
      });
      expect(res.status).toBe(403);
      expect((await json(res)).message).toContain("set MY_TOKEN in the controller's environment");
    } finally {
      await disabled.server.close();
    }
  });

  it.each([
    { name: "without a body, as the API", body: undefined, headers: AUTH, request: { by: "api" } },
    {
      name: "with the body's actor and reason",
      body: { actor: "alice", reason: " incident 42 " },
      headers: AUTH,
      request: { by: "alice", reason: "incident 42" },
    },
    {
      name: "with the header's actor over the body's",
      body: { actor: "alice" },
      headers: { ...AUTH, "x-simple-gitops-actor": "bob@cli" },
      request: { by: "bob@cli" },
    },
  ])("suspends $name", async ({ body, headers, request }) => {
    const res = await post("/v1/gitops/services/etcd/suspend", body, headers);
    expect(res.status).toBe(200);
    expect(loop.asked).toEqual([{ kind: "suspend", service: "etcd", request }]);
    expect(await json(res)).toEqual({
      service: "etcd",
      changed: true,
      suspended: { by: request.by, at: "2026-01-01T00:00:00.000Z", reason: request.reason ?? "", commit: "" },
      timestamp: "2025-09-01T11:46:00Z",
    });
  });

  it("resumes, answering the suspension it ended", async () => {
    const res = await post("/v1/gitops/services/etcd/resume", { reason: "fixed" });
    expect(res.status).toBe(200);
    expect(loop.asked).toEqual([
      { kind: "resume", service: "etcd", request: { by: "api", reason: "fixed" } },
    ]);
    expect(await json(res)).toMatchObject({
      service: "etcd",
      changed: true,
      suspended: null,
      previous: { by: "api" },
    });
  });
});

describe("POST /v1/gitops/services/{name}/rollback", () => {
  it("answers 202 with where to follow, without waiting", async () => {
    const res = await post(
      "/v1/gitops/services/etcd/rollback",
      { commit: "BBBBBBB", reason: "bad" },
      {
        ...AUTH,
        "x-simple-gitops-actor": "alice",
      },
    );
    expect(res.status).toBe(202);
    expect(await json(res)).toEqual({
      status: "accepted",
      service: "etcd",
      commit: SHA,
      follow: "/v1/gitops/services/etcd",
    });
    expect(loop.asked).toEqual([
      { kind: "rollback", service: "etcd", request: { commit: "BBBBBBB", actor: "alice", reason: "bad" } },
    ]);
  });

  it("with ?wait=true answers 200 with what it did once the rollback landed", async () => {
    const answer = post("/v1/gitops/services/etcd/rollback?wait=true", { commit: SHA });
    await until(() => loop.asked.length === 1);
    loop.settle({ status: "ran", result: result("applied") });
    const res = await answer;
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({
      status: "rolled_back",
      service: "etcd",
      commit: SHA,
      follow: "/v1/gitops/services/etcd",
      suspended: {
        by: "alice",
        at: "2026-01-01T00:00:01.000Z",
        reason: `rolled back to ${SHA}`,
        commit: SHA,
      },
      result: {
        status: "applied",
        started_at: "2026-01-01T00:00:00.000Z",
        duration_ms: 1200,
        objects: [
          { apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "etcd", action: "configured" },
        ],
        pruned: [
          { apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "newer", action: "deleted" },
        ],
        error: null,
      },
    });
  });

  it("with ?wait answers 500 with the error when the rollback failed, and 409 when it did not run", async () => {
    const failing = post("/v1/gitops/services/etcd/rollback?wait", { commit: SHA });
    await until(() => loop.asked.length === 1);
    loop.settle({
      status: "ran",
      result: result("failed", { code: "E_HEALTH", message: "Deployment etcd not available" }),
    });
    const failed = await failing;
    expect(failed.status).toBe(500);
    expect(await json(failed)).toMatchObject({
      error: "rollback_failed",
      message: `rollback of etcd to ${SHA} failed: Deployment etcd not available`,
      result: { status: "failed", error: { code: "E_HEALTH" } },
    });
    const stopping = post("/v1/gitops/services/etcd/rollback?wait=true", { commit: SHA });
    await until(() => loop.asked.length === 2);
    loop.settle({ status: "not_run", reason: "the controller stopped" });
    const notRun = await stopping;
    expect(notRun.status).toBe(409);
    expect(await json(notRun)).toMatchObject({
      error: "not_run",
      message: "the controller stopped",
      commit: SHA,
    });
  });

  it("with ?wait answers 202 still running once apply_timeout + health_timeout passed", async () => {
    const answer = post("/v1/gitops/services/etcd/rollback?wait=true", { commit: SHA });
    await until(() => time.pending() === 1);
    const { applyTimeoutSeconds, healthTimeoutSeconds } = testConfig();
    await time.advance((applyTimeoutSeconds + healthTimeoutSeconds) * 1000 - 1);
    expect(time.pending()).toBe(1);
    await time.advance(1);
    const res = await answer;
    expect(res.status).toBe(202);
    expect(await json(res)).toMatchObject({
      status: "running",
      commit: SHA,
      follow: "/v1/gitops/services/etcd",
    });
  });

  it("answers 400 to a wait that is neither true nor false", async () => {
    const res = await post("/v1/gitops/services/etcd/rollback?wait=soon", { commit: SHA });
    expect(res.status).toBe(400);
    expect((await json(res)).message).toBe('wait must be true or false, not "soon"');
  });
});

describe("what the routes refuse", () => {
  const suspend = "/v1/gitops/services/etcd/suspend";
  const rollback = "/v1/gitops/services/etcd/rollback";
  const notSha = (commit: string) => `commit must be a commit SHA, 7 to 40 hex characters, not "${commit}"`;
  const noCommit = 'body must name the commit to roll back to: {"commit": "<sha>"}';
  it.each([
    {
      name: "an array",
      path: suspend,
      body: [],
      message: 'body must be a JSON object with "reason", "actor"',
    },
    {
      name: "an unknown key",
      path: suspend,
      body: { commit: SHA },
      message: 'body: unknown key "commit" (known: reason, actor)',
    },
    {
      name: "a reason not text",
      path: suspend,
      body: { reason: 3 },
      message: "reason must be a string, not number",
    },
    {
      name: "an actor on two lines",
      path: suspend,
      body: { actor: "a\nb" },
      message: "actor must be one line of text",
    },
    {
      name: "a long reason",
      path: suspend,
      body: { reason: "x".repeat(501) },
      message: "reason is 501 characters, over 500",
    },
    { name: "no body", path: rollback, body: undefined, message: noCommit },
    { name: "no commit", path: rollback, body: { reason: "x" }, message: noCommit },
    { name: "a branch name", path: rollback, body: { commit: "main" }, message: notSha("main") },
    { name: "a prefix too short", path: rollback, body: { commit: "abc123" }, message: notSha("abc123") },
  ])("answers 400 to $name, naming the field", async ({ path, body, message }) => {
    const res = await post(path, body);
    expect(res.status).toBe(400);
    expect(await json(res)).toEqual({ error: "bad_request", message });
    expect(loop.asked).toEqual([]);
  });

  it.each([
    { path: suspend, code: "not_found", status: 404, error: "not_found" },
    { path: suspend, code: "not_leader", status: 503, error: "unavailable" },
    { path: suspend, code: "stopped", status: 503, error: "unavailable" },
    { path: rollback, code: "invalid", status: 400, error: "bad_request" },
    { path: rollback, code: "conflict", status: 409, error: "conflict" },
  ] as const)("answers $path's $code refusal $status with the loop's reason", async ({
    path,
    code,
    status,
    error,
  }) => {
    loop.answers.refusal = { ok: false, code, reason: `because ${code}` };
    const res = await post(path, path === rollback ? { commit: SHA } : undefined);
    expect(res.status).toBe(status);
    expect(await json(res)).toEqual({ error, message: `because ${code}` });
  });
});

describe("GET /v1/gitops/services/{name}/history", () => {
  it("lists the landed commits newest first, as the state keeps them", async () => {
    const history = [
      { commit: SHA, time: "2026-01-02T00:00:00.000Z", trigger: "rollback" as const, objects: 2 },
      {
        commit: "c".repeat(40),
        time: "2026-01-01T00:00:00.000Z",
        trigger: "poll" as const,
        objects: 3,
        files: ["a.yaml"],
      },
    ];
    const state = testState();
    t.state = {
      ...state,
      services: { ...state.services, etcd: { ...(state.services.etcd ?? emptyServiceState()), history } },
    };
    const res = await fetch(`${t.url}/v1/gitops/services/etcd/history`);
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({
      service: "etcd",
      count: 2,
      history,
      timestamp: "2025-09-01T11:46:00Z",
    });
    const none = await json(await fetch(`${t.url}/v1/gitops/services/hello/history`));
    expect(none).toMatchObject({ service: "hello", count: 0, history: [] });
  });

  it("answers 404 naming the known services, and asks for the read token when one is set", async () => {
    const res = await fetch(`${t.url}/v1/gitops/services/nope/history`);
    expect(res.status).toBe(404);
    expect((await json(res)).message).toBe('unknown service "nope" (known: etcd, monitoring, hello)');
  });
});

/** until waits, a turn of the event loop at a time, for the server to have done something. */
async function until(done: () => boolean): Promise<void> {
  for (let turns = 0; !done(); turns++) {
    if (turns > 1000) throw new Error("the server never got there");
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe("a suspended service in the status API and the manual sync", () => {
  const suspended = {
    by: "alice",
    at: "2026-01-01T00:00:00.000Z",
    reason: "rolled back to abc",
    commit: SHA,
  };
  const rolledBack = {
    restoredCommit: SHA,
    fromCommit: "c".repeat(40),
    at: suspended.at,
    by: "alice",
    reason: "x",
  };
  beforeEach(() => {
    const state = testState();
    const etcd = { ...(state.services.etcd ?? emptyServiceState()), suspended, rolledBack };
    t.state = { ...state, services: { ...state.services, etcd } };
  });

  it("shows who suspended it, when, why and at which commit, and its rollback; null for the others", async () => {
    const one = await json(await fetch(`${t.url}/v1/gitops/services/etcd`));
    expect(one.suspended).toEqual(suspended);
    expect(one.rolled_back).toEqual({
      restored_commit: SHA,
      from_commit: "c".repeat(40),
      at: suspended.at,
      by: "alice",
      reason: "x",
    });
    const page = await json(await fetch(`${t.url}/v1/gitops/services`));
    expect(
      page.services.map((s: { name: string; suspended: unknown }) => [s.name, s.suspended === null]),
    ).toEqual([
      ["etcd", false],
      ["monitoring", true],
      ["hello", true],
    ]);
  });

  it("answers a manual sync of it 409, saying it is suspended and how to resume it", async () => {
    const res = await post("/v1/gitops/sync?service=etcd");
    expect(res.status).toBe(409);
    expect(await json(res)).toEqual({
      error: "suspended",
      message:
        "service etcd is suspended (by alice at 2026-01-01T00:00:00.000Z: rolled back to abc); nothing is applied to it until it is resumed: POST /v1/gitops/services/etcd/resume",
    });
    expect(t.syncRequests).toEqual([]);
    // The repository's other services still sync on request.
    expect((await post("/v1/gitops/sync?repo=nokube")).status).toBe(202);
  });
});

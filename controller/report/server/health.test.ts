import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createManualTime } from "../../../test/manual-time.js";
import { json, type RunningServer, startTestServer } from "../../../test/server/test-harness.js";
import type { SyncResult } from "../../record/result.js";
import { createProgressTracker } from "../../start/observe.js";
import { createMetrics } from "../metrics.js";
import type { Readiness } from "./options.js";

describe("health and readiness", () => {
  let readiness: Readiness = { configLoaded: true, stateStoreReachable: true, firstSyncStarted: true };
  let t: RunningServer;
  beforeAll(async () => {
    t = await startTestServer({ readiness: () => readiness });
  });
  afterAll(() => t.server.close());

  it("answers /healthz while the process runs", async () => {
    const res = await fetch(`${t.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ status: "ok" });
  });

  const cases: { name: string; readiness: Readiness; status: number; body: object }[] = [
    {
      name: "ready, and reports leadership without depending on it",
      readiness: { configLoaded: true, stateStoreReachable: true, firstSyncStarted: true, leader: false },
      status: 200,
      body: {
        status: "ready",
        checks: { configLoaded: true, stateStoreReachable: true, firstSyncStarted: true },
        leader: false,
      },
    },
    {
      name: "state store unreachable and no sync yet",
      readiness: { configLoaded: true, stateStoreReachable: false, firstSyncStarted: false },
      status: 503,
      body: {
        error: "not_ready",
        message: "not ready: stateStoreReachable, firstSyncStarted",
        checks: { configLoaded: true, stateStoreReachable: false, firstSyncStarted: false },
        failing: ["stateStoreReachable", "firstSyncStarted"],
      },
    },
    {
      name: "state store unreachable at start-up, with the reason",
      readiness: {
        configLoaded: true,
        stateStoreReachable: false,
        firstSyncStarted: false,
        reasons: { stateStoreReachable: "ConfigMap ops/state: GET failed: connect ECONNREFUSED" },
      },
      status: 503,
      body: {
        error: "not_ready",
        message:
          "not ready: stateStoreReachable (ConfigMap ops/state: GET failed: connect ECONNREFUSED), firstSyncStarted",
        checks: { configLoaded: true, stateStoreReachable: false, firstSyncStarted: false },
        failing: ["stateStoreReachable", "firstSyncStarted"],
      },
    },
  ];
  it.each(cases)("/readyz: $name", async (c) => {
    readiness = c.readiness;
    const res = await fetch(`${t.url}/readyz`);
    expect(res.status).toBe(c.status);
    expect(await json(res)).toEqual(c.body);
  });
});

describe("/metrics", () => {
  const metrics = createMetrics();
  let t: RunningServer;
  beforeAll(async () => {
    t = await startTestServer({ metrics: metrics.registry });
  });
  afterAll(() => t.server.close());

  it("exposes every controller metric in the Prometheus text format, prefixed simple_gitops_, and the process metrics under their standard names", async () => {
    const result: SyncResult = {
      service: "etcd",
      repoKey: "nokube",
      repo: "AI-Infra-Team/nokube@main",
      commit: "abc",
      trigger: "poll",
      dryRun: false,
      status: "applied",
      startedAt: "2025-09-01T11:45:00.000Z",
      durationMs: 2000,
      files: { changed: ["a.yaml"], applied: ["a.yaml"], failed: [], deleted: [] },
      objects: [{ apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "x", action: "created" }],
      pruned: [],
      unhealthy: [],
      orphaned: [],
    };
    metrics.observeSync(result);
    metrics.observeSync({ ...result, service: "monitoring", status: "failed" });
    metrics.observePoll({ repoKey: "nokube", status: "changed", durationMs: 120 });
    metrics.observeGithubRequest(200);
    metrics.observeGithubRequest(304);
    metrics.setRateLimitRemaining(4987);
    metrics.setLeader(true);

    const res = await fetch(`${t.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const expected = [
      'simple_gitops_polls_total{repo="nokube",result="changed"} 1',
      'simple_gitops_github_requests_total{status="304"} 1',
      'simple_gitops_github_rate_limit_remaining{resource="core"} 4987',
      'simple_gitops_applies_total{service="etcd",result="applied"} 1',
      'simple_gitops_applies_total{service="monitoring",result="failed"} 1',
      'simple_gitops_objects_applied_total{service="etcd",action="created"} 1',
      'simple_gitops_apply_duration_seconds_count{service="etcd"} 1',
      'simple_gitops_last_successful_sync_timestamp_seconds{service="etcd"} 1756727102',
      "simple_gitops_leader 1",
    ];
    for (const line of expected) expect(text).toContain(line);
    expect(text).not.toContain('last_successful_sync_timestamp_seconds{service="monitoring"}');
    const names = [...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1] ?? "");
    // The process and Node.js metrics keep their standard names (issue 30), so stock dashboards match them.
    expect(names).toContain("process_cpu_seconds_total");
    expect(names.filter((n) => !/^(simple_gitops|process|nodejs)_/.test(n))).toEqual([]);
  });
});

describe("/healthz with the loop's liveness", () => {
  const time = createManualTime();
  const tracker = createProgressTracker({
    limitMs: 600_000,
    slowMs: 60_000,
    clock: time,
    timers: time,
    log: pino({ level: "silent" }),
  });
  let running = true;
  let t: RunningServer;
  beforeAll(async () => {
    t = await startTestServer({ liveness: () => tracker.liveness(running) });
  });
  afterAll(() => t.server.close());

  it("stays live mid-apply when the wall clock steps", async () => {
    let finish = () => {};
    const apply = tracker.track(
      "apply of 2 objects of service web (kubectl)",
      () => new Promise<void>((resolve) => (finish = resolve)),
    );
    for (const step of [3_600_000, -7_200_000, 365 * 86_400_000]) {
      time.stepWall(step);
      expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    }
    finish();
    await apply;
  });

  it("fails with what is stuck and for how long once a run made no progress past the limit", async () => {
    void tracker.track("apply of 2 objects of service etcd (kubectl)", () => new Promise(() => {}));
    await time.advance(599_000);
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    await time.advance(2_000);
    const res = await fetch(`${t.url}/healthz`);
    expect(res.status).toBe(503);
    expect(await json(res)).toEqual({
      error: "stuck",
      message:
        "no progress for 601 s (limit 600 s); slowest call in flight: apply of 2 objects of service etcd (kubectl), for 601 s",
      liveness: {
        ok: false,
        limitSeconds: 600,
        sinceProgressSeconds: 601,
        inFlight: [{ call: "apply of 2 objects of service etcd (kubectl)", seconds: 601 }],
      },
    });
    // The same wedge reads as healthy to a probe once no run is going: only a running loop can be stuck.
    running = false;
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
  });
});

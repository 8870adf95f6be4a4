import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { KubeRequest, KubeResponse } from "../../kube/http.js";
import { createLeaderElector, type LeaderClock, type LeaderElector } from "./leader.js";

const log = pino({ level: "silent" });
const PATH = "/apis/coordination.k8s.io/v1/namespaces/ns/leases/simple-gitops-leader";
const TIMING = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

/**
 * manualClock only moves when a test advances it; timers fire in order, with pending promises settled between.
 * `stepWall` moves the wall clock alone, as an NTP step does.
 */
function manualClock() {
  let now = 0;
  let wall = 1_700_000_000_000;
  let timers: { at: number; fire: () => void }[] = [];
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
  const clock: LeaderClock & { advance(ms: number): Promise<void>; stepWall(ms: number): void } = {
    now: () => wall + now,
    monotonic: () => now,
    stepWall: (ms) => {
      wall += ms;
    },
    sleep(ms, signal) {
      return new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve();
        const abort = () => {
          timers = timers.filter((t) => t !== timer);
          resolve();
        };
        const timer = {
          at: now + ms,
          fire: () => {
            signal?.removeEventListener("abort", abort);
            resolve();
          },
        };
        timers.push(timer);
        signal?.addEventListener("abort", abort, { once: true });
      });
    },
    async advance(ms) {
      const end = now + ms;
      for (;;) {
        await settle();
        const next = timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
        if (!next) break;
        timers = timers.filter((t) => t !== next);
        now = next.at;
        next.fire();
      }
      now = end;
      await settle();
    },
  };
  return clock;
}

/** fakeLeaseApi keeps one Lease with resourceVersion checks, and can fail or hang on demand. */
function fakeLeaseApi() {
  type Stored = { metadata: { resourceVersion: string }; spec?: Record<string, unknown> };
  let lease: Stored | undefined;
  let version = 0;
  const api = {
    mode: "ok" as "ok" | "fail" | "hang",
    get lease() {
      return lease;
    },
    /** steal writes the Lease as another holder would. */
    steal(holder: string) {
      version += 1;
      lease = {
        metadata: { resourceVersion: String(version) },
        spec: { ...lease?.spec, holderIdentity: holder },
      };
    },
    request: (async (method, path, body) => {
      if (api.mode === "fail") return { status: 500, body: { message: "etcd is sad" } };
      if (api.mode === "hang") return new Promise<KubeResponse>(() => {});
      const sent = structuredClone(body) as Stored;
      if (method === "GET")
        return lease ? { status: 200, body: structuredClone(lease) } : { status: 404, body: {} };
      if (method === "POST") {
        if (lease) return { status: 409, body: { message: "already exists" } };
        version += 1;
        lease = { ...sent, metadata: { resourceVersion: String(version) } };
        return { status: 201, body: structuredClone(lease) };
      }
      if (method === "PUT" && path === PATH) {
        if (!lease) return { status: 404, body: {} };
        if (sent.metadata.resourceVersion !== lease.metadata.resourceVersion) {
          return { status: 409, body: { message: "the object has been modified" } };
        }
        version += 1;
        lease = { ...sent, metadata: { resourceVersion: String(version) } };
        return { status: 200, body: structuredClone(lease) };
      }
      return { status: 400, body: { message: `unexpected ${method} ${path}` } };
    }) as KubeRequest,
  };
  return api;
}

const electors: LeaderElector[] = [];
afterEach(async () => {
  await Promise.all(electors.splice(0).map((e) => e.stop({ release: false })));
});

function candidate(
  identity: string,
  api: ReturnType<typeof fakeLeaseApi>,
  clock: LeaderClock,
  events: string[] = [],
): LeaderElector {
  const elector = createLeaderElector({
    namespace: "ns",
    identity,
    ...TIMING,
    request: api.request,
    clock,
    random: () => 0,
    log,
    onStartedLeading: () => {
      events.push(`${identity} started`);
    },
    onStoppedLeading: () => {
      events.push(`${identity} stopped`);
    },
  });
  electors.push(elector);
  return elector;
}

describe("leader elector timing", () => {
  it("creates an absent Lease and leads, calling onStartedLeading once", async () => {
    const clock = manualClock();
    const api = fakeLeaseApi();
    const events: string[] = [];
    const a = candidate("a", api, clock, events);
    a.start();
    await clock.advance(10_000);
    expect(a.isLeader()).toBe(true);
    expect(api.lease?.spec).toMatchObject({
      holderIdentity: "a",
      leaseDurationSeconds: 15,
      leaseTransitions: 0,
    });
    expect(events).toEqual(["a started"]);
  });

  it.each([
    ["", 0],
    [", also when the wall clock steps back an hour meanwhile", -3_600_000],
  ])("leaves a renewed Lease alone and takes it one lease duration after renewals stop%s", async (_name, step) => {
    const clock = manualClock();
    const api = fakeLeaseApi();
    const a = candidate("a", api, clock);
    const b = candidate("b", api, clock);
    a.start();
    await clock.advance(0);
    b.start();
    await clock.advance(60_000);
    expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);

    await a.stop({ release: false });
    clock.stepWall(step);
    await clock.advance(14_000);
    expect(b.isLeader()).toBe(false);
    await clock.advance(2 * TIMING.retryPeriodMs);
    expect(b.isLeader()).toBe(true);
    expect(api.lease?.spec).toMatchObject({ holderIdentity: "b", leaseTransitions: 1 });
  });

  it("takes a released Lease at the next retry, without waiting for it to expire", async () => {
    const clock = manualClock();
    const api = fakeLeaseApi();
    const a = candidate("a", api, clock);
    const b = candidate("b", api, clock);
    a.start();
    await clock.advance(0);
    b.start();
    await clock.advance(5_000);
    await a.stop();
    expect(api.lease?.spec?.holderIdentity).toBeUndefined();
    await clock.advance(TIMING.retryPeriodMs);
    expect(b.isLeader()).toBe(true);
  });

  const failures = [
    { name: "the apiserver answers errors", mode: "fail" as const, step: 0 },
    { name: "the apiserver does not answer", mode: "hang" as const, step: 0 },
    {
      name: "the apiserver answers errors and the wall clock steps back an hour",
      mode: "fail" as const,
      step: -3_600_000,
    },
  ];
  it.each(failures)("keeps leading until the renew deadline, then stops, when $name", async ({
    mode,
    step,
  }) => {
    const clock = manualClock();
    const api = fakeLeaseApi();
    const events: string[] = [];
    const a = candidate("a", api, clock, events);
    a.start();
    await clock.advance(0);
    const renewed = clock.monotonic();
    api.mode = mode;
    clock.stepWall(step);
    await clock.advance(TIMING.renewDeadlineMs - 1);
    expect(a.isLeader()).toBe(true);
    await clock.advance(1);
    expect(a.isLeader()).toBe(false);
    expect(events).toEqual(["a started", "a stopped"]);
    expect(clock.monotonic() - renewed).toBeLessThan(TIMING.leaseDurationMs);
  });

  it("keeps leading, and a follower keeps following, when the wall clock steps forward", async () => {
    const clock = manualClock();
    const api = fakeLeaseApi();
    const a = candidate("a", api, clock);
    const b = candidate("b", api, clock);
    a.start();
    await clock.advance(0);
    b.start();
    await clock.advance(1_000);
    clock.stepWall(3_600_000);
    expect(a.isLeader()).toBe(true);
    await clock.advance(60_000);
    expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);
    expect(api.lease?.spec).toMatchObject({ holderIdentity: "a", leaseTransitions: 0 });
  });

  it("stops leading at once when another holder took the Lease", async () => {
    const clock = manualClock();
    const api = fakeLeaseApi();
    const events: string[] = [];
    const a = candidate("a", api, clock, events);
    a.start();
    await clock.advance(0);
    api.steal("intruder");
    await clock.advance(TIMING.retryPeriodMs);
    expect(a.isLeader()).toBe(false);
    expect(events).toEqual(["a started", "a stopped"]);
    expect(api.lease?.spec?.holderIdentity).toBe("intruder");
  });

  it("refuses timings where a leader could outlive its lease", () => {
    expect(() =>
      createLeaderElector({
        namespace: "ns",
        identity: "a",
        leaseDurationMs: 5_000,
        renewDeadlineMs: 6_000,
        log,
      }),
    ).toThrow(expect.objectContaining({ code: "E_LEADER" }));
  });
});

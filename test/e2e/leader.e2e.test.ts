import pino from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { awaitVacantLease } from "../../controller/loop/leader/await-vacant-lease.js";
import { createLeaderElector, type LeaderElector } from "../../controller/loop/leader.js";
import { createKubeRequest, type KubeRequest } from "../../kube/http.js";
import { loadKubeConfigFiles } from "../../kube/kubeconfig.js";
import {
  createTestNamespace,
  kubeconfigPath,
  kubectl,
  kubectlJson,
  type TestNamespace,
  waitFor,
} from "./cluster.js";

const log = pino({ level: "silent" });
// Short timings keep the test fast; the ratios are the production ones (15 s / 10 s / 2 s) squeezed.
const LEASE_MS = 2_000;
const RENEW_DEADLINE_MS = 1_500;
const RETRY_MS = 300;

interface LeaseJson {
  spec: { holderIdentity?: string; leaseTransitions?: number; leaseDurationSeconds?: number };
}

interface Candidate {
  identity: string;
  elector: LeaderElector;
  events: string[];
}

describe("leader election on a real apiserver", () => {
  let ns: TestNamespace;
  let request: KubeRequest;
  let counter = 0;
  let running: Candidate[] = [];

  const lease = (name: string) => kubectlJson<LeaseJson>(["-n", ns.name, "get", "lease", name]);
  /** patchLease writes the Lease's spec as another writer would, outside the election. */
  const patchLease = (name: string, spec: Record<string, string>) =>
    kubectl(["-n", ns.name, "patch", "lease", name, "--type=merge", "-p", JSON.stringify({ spec })]);

  function candidates(...identities: string[]): Candidate[] {
    const name = `leader-${++counter}`;
    const made = identities.map((identity) => {
      const events: string[] = [];
      const elector = createLeaderElector({
        namespace: ns.name,
        name,
        identity,
        leaseDurationMs: LEASE_MS,
        renewDeadlineMs: RENEW_DEADLINE_MS,
        retryPeriodMs: RETRY_MS,
        request,
        log,
        onStartedLeading: () => {
          events.push("started");
        },
        onStoppedLeading: () => {
          events.push("stopped");
        },
      });
      return { identity, elector, events };
    });
    running.push(...made);
    for (const c of made) c.elector.start();
    return made;
  }

  const leaders = (cs: Candidate[]) => cs.filter((c) => c.elector.isLeader()).map((c) => c.identity);
  const oneLeader = (cs: Candidate[]) =>
    waitFor(
      async () => {
        const now = leaders(cs);
        return now.length === 1 ? (cs.find((c) => c.identity === now[0]) as Candidate) : undefined;
      },
      { timeoutMs: 5_000, intervalMs: 20, what: "a leader" },
    );

  beforeAll(async () => {
    ns = await createTestNamespace("e2e-leader");
    const kc = loadKubeConfigFiles([kubeconfigPath()]);
    request = createKubeRequest(kc);
  });
  afterEach(async () => {
    await Promise.all(running.map((c) => c.elector.stop({ release: false })));
    running = [];
  });
  afterAll(async () => {
    await ns?.cleanup();
  });

  it("elects exactly one of two candidates, names it as the Lease holder, and keeps it", async () => {
    const cs = candidates("pod-a", "pod-b");
    const leader = await oneLeader(cs);
    // Over more than two lease durations of renewals, never two leaders and never a change of leader.
    const seen = new Set<string>();
    const until = Date.now() + 2.5 * LEASE_MS;
    while (Date.now() < until) {
      const now = leaders(cs);
      expect(now.length).toBeLessThanOrEqual(1);
      for (const l of now) seen.add(l);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect([...seen]).toEqual([leader.identity]);
    expect((await lease(`leader-${counter}`)).spec).toMatchObject({
      holderIdentity: leader.identity,
      leaseDurationSeconds: 2,
      leaseTransitions: 0,
    });
    expect(leader.events).toEqual(["started"]);
    expect(cs.find((c) => c !== leader)?.events).toEqual([]);
  });

  it("hands over within two retry periods when the leader stops and releases the Lease", async () => {
    const cs = candidates("pod-a", "pod-b");
    const leader = await oneLeader(cs);
    const other = cs.find((c) => c !== leader) as Candidate;
    await leader.elector.stop();
    const stopped = Date.now();
    expect(leader.events).toEqual(["started", "stopped"]);
    await waitFor(async () => other.elector.isLeader(), {
      timeoutMs: 5_000,
      intervalMs: 10,
      what: "takeover",
    });
    const elapsed = Date.now() - stopped;
    expect(elapsed).toBeLessThan(2 * RETRY_MS);
    expect((await lease(`leader-${counter}`)).spec).toMatchObject({
      holderIdentity: other.identity,
      leaseTransitions: 1,
    });
  });

  it("takes over within two lease durations, and not before the lease expired, when the leader dies", async () => {
    const cs = candidates("pod-a", "pod-b");
    const leader = await oneLeader(cs);
    const other = cs.find((c) => c !== leader) as Candidate;
    // A crash: renewals stop and nothing is released.
    await leader.elector.stop({ release: false });
    const died = Date.now();
    expect((await lease(`leader-${counter}`)).spec.holderIdentity).toBe(leader.identity);
    await waitFor(async () => other.elector.isLeader(), {
      timeoutMs: 3 * LEASE_MS,
      intervalMs: 10,
      what: "takeover",
    });
    const elapsed = Date.now() - died;
    // The dead leader renewed at most one retry period before it died; the Lease is good for LEASE_MS after that.
    expect(elapsed).toBeGreaterThan(LEASE_MS - RETRY_MS);
    expect(elapsed).toBeLessThan(2 * LEASE_MS);
    expect((await lease(`leader-${counter}`)).spec).toMatchObject({
      holderIdentity: other.identity,
      leaseTransitions: 1,
    });
  });

  it("stops leading at once when another writer takes the Lease, and the others wait for it to expire", async () => {
    const cs = candidates("pod-a", "pod-b");
    const leader = await oneLeader(cs);
    const name = `leader-${counter}`;
    await patchLease(name, { holderIdentity: "intruder" });
    const taken = Date.now();
    await waitFor(async () => !leader.elector.isLeader(), {
      timeoutMs: 5_000,
      intervalMs: 10,
      what: "the leader to step down",
    });
    expect(Date.now() - taken).toBeLessThan(2 * RETRY_MS);
    expect(leader.events).toEqual(["started", "stopped"]);
    expect(leaders(cs)).toEqual([]);
    expect((await lease(name)).spec.holderIdentity).toBe("intruder");

    // The intruder never renews, so after its lease duration one candidate takes over again.
    const back = await waitFor(async () => (leaders(cs).length === 1 ? Date.now() : undefined), {
      timeoutMs: 3 * LEASE_MS,
      intervalMs: 10,
      what: "a new leader",
    });
    expect(back - taken).toBeGreaterThan(LEASE_MS - RETRY_MS);
    expect(leaders(cs)).toHaveLength(1);
  });

  describe("a member of the fleet waiting for the leader election to end (a rollout to sharding)", () => {
    const vacant = (name: string, signal = new AbortController().signal) => {
      const started = Date.now();
      const result = awaitVacantLease({
        namespace: ns.name,
        name,
        request,
        retryPeriodMs: RETRY_MS,
        leaseDurationMs: LEASE_MS,
        log,
        signal,
      });
      return result.then((gone) => ({ gone, at: Date.now(), after: Date.now() - started }));
    };

    it("joins at once when there is no leader Lease", async () => {
      const { gone, after } = await vacant("never-elected");
      expect(gone).toBe(true);
      expect(after).toBeLessThan(RETRY_MS);
    });

    it("waits while any candidate leads, and joins a lease duration after the last one released the Lease", async () => {
      const cs = candidates("old-a", "old-b");
      const first = await oneLeader(cs);
      const name = `leader-${counter}`;
      let ended: { gone: boolean; at: number } | undefined;
      const waiting = vacant(name).then((outcome) => {
        ended = outcome;
        return outcome;
      });
      await new Promise((resolve) => setTimeout(resolve, 2 * LEASE_MS));
      expect(ended).toBeUndefined();
      // The old leader's pod is replaced: the other old pod takes the released Lease at its next retry.
      await first.elector.stop();
      const second = await oneLeader(cs.filter((c) => c !== first));
      await new Promise((resolve) => setTimeout(resolve, 2 * LEASE_MS));
      expect(ended).toBeUndefined();
      await second.elector.stop();
      const released = Date.now();
      const { gone, at } = await waiting;
      expect(gone).toBe(true);
      expect(at - released).toBeGreaterThanOrEqual(LEASE_MS);
      expect(at - released).toBeLessThan(LEASE_MS + 4 * RETRY_MS);
    });

    it("joins at once when the Lease was last renewed long ago, and gives up when stopped", async () => {
      const [leader] = candidates("old-a");
      await oneLeader(running);
      const name = `leader-${counter}`;
      const stop = new AbortController();
      const waiting = vacant(name, stop.signal);
      await new Promise((resolve) => setTimeout(resolve, LEASE_MS));
      stop.abort();
      expect((await waiting).gone).toBe(false);
      await leader?.elector.stop({ release: false });
      const longAgo = new Date(Date.now() - 10 * 60_000).toISOString().replace("Z", "000Z");
      await patchLease(name, { renewTime: longAgo });
      const { gone, after } = await vacant(name);
      expect(gone).toBe(true);
      expect(after).toBeLessThan(RETRY_MS);
    });
  });
});

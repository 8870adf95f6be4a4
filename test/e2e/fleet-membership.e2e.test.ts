import pino from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createMembership, type Membership } from "../../controller/fleet/membership.js";
import { createKubeRequest, type KubeRequest } from "../../kube/http.js";
import { loadKubeConfigFiles } from "../../kube/kubeconfig.js";
import { createTestNamespace, kubeconfigPath, kubectlJson, type TestNamespace, waitFor } from "./cluster.js";

const silent = pino({ level: "silent" });
// Short timings so that expiry is seen in seconds; their ratios are the production ones'.
const TIMING = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, renewIntervalMs: 500 };

describe("members' Leases on a real apiserver", () => {
  let ns: TestNamespace;
  let request: KubeRequest;
  const started: Membership[] = [];
  const member = (identity: string, send: KubeRequest = request, timing = TIMING) => {
    const membership = createMembership({
      namespace: ns.name,
      identity,
      request: send,
      log: silent,
      ...timing,
    });
    membership.start();
    started.push(membership);
    return membership;
  };
  const liveSeenBy = async (reader: Membership) => (await reader.read()).live.map((m) => m.identity);

  beforeAll(async () => {
    ns = await createTestNamespace("e2e-fleet-members");
    request = createKubeRequest(loadKubeConfigFiles([kubeconfigPath()]));
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((membership) => membership.stop()));
  });
  afterAll(async () => {
    await ns?.cleanup();
  });

  it("gives each member a Lease named after its pod, and every member reads the same live members", async () => {
    const [a, b, c] = ["pod-a", "pod-b", "pod-c"].map((identity) => member(identity));
    for (const reader of [c, a, b] as Membership[]) {
      await waitFor(async () => (await liveSeenBy(reader)).join() === "pod-a,pod-b,pod-c", {
        timeoutMs: 10_000,
        what: `${reader.identity} to read three members`,
      });
    }
    const lease = await kubectlJson<{
      metadata: { labels: Record<string, string> };
      spec: { holderIdentity: string; leaseDurationSeconds: number };
    }>(["-n", ns.name, "get", "lease", "simple-gitops-member-pod-b"]);
    expect(lease.metadata.labels).toEqual({
      "app.kubernetes.io/managed-by": "simple-gitops-controller",
      "simple-gitops.io/lease": "member",
    });
    expect(lease.spec).toMatchObject({ holderIdentity: "pod-b", leaseDurationSeconds: 3 });
    expect([a, b, c].map((m) => m?.holds())).toEqual([true, true, true]);
  });

  it("counts a member that stopped without releasing (as kill -9 leaves it) out once its Lease went unchanged for its duration", async () => {
    const reader = member("reader");
    const crashed = member("crashed");
    await waitFor(async () => (await liveSeenBy(reader)).includes("crashed"), {
      timeoutMs: 10_000,
      what: "two members",
    });
    await crashed.stop({ release: false });
    const stoppedAt = performance.now();
    // Its last renewal was at most one renew interval before it stopped: the Lease has a duration left after that.
    const early = TIMING.leaseDurationMs - TIMING.renewIntervalMs - 500;
    await waitFor(async () => performance.now() - stoppedAt >= early || undefined, {
      timeoutMs: 10_000,
      intervalMs: 100,
    });
    expect(await liveSeenBy(reader)).toEqual(["crashed", "reader"]);
    await waitFor(async () => !(await liveSeenBy(reader)).includes("crashed"), {
      timeoutMs: 10_000,
      intervalMs: 100,
      what: "the crashed member to be counted out",
    });
    expect(performance.now() - stoppedAt).toBeLessThan(2 * TIMING.leaseDurationMs);
  });

  it("counts a member that released its Lease out at the next read", async () => {
    const reader = member("reader-2");
    const leaving = member("leaving");
    await waitFor(async () => (await liveSeenBy(reader)).includes("leaving"), {
      timeoutMs: 10_000,
      what: "two members",
    });
    await leaving.stop();
    // Others of this namespace (the crashed member above) may still be live: only these two count here.
    expect((await liveSeenBy(reader)).filter((m) => m === "leaving" || m === "reader-2")).toEqual([
      "reader-2",
    ]);
  });

  it("writes a member's claims into its Lease at once, for every member to read, and lets them go on release", async () => {
    const reader = member("reader-3");
    // A long renew interval, so that a renewal at once is told from the next one.
    const holder = member("holder", request, {
      leaseDurationMs: 12_000,
      renewDeadlineMs: 8_000,
      renewIntervalMs: 4_000,
    });
    const claimsOf = async (identity: string) =>
      [...((await reader.read()).live.find((m) => m.identity === identity)?.claims ?? [])].sort();
    await waitFor(async () => holder.holds() || undefined, { timeoutMs: 10_000, what: "a first renewal" });
    const asked = performance.now();
    holder.claim(new Set(["web", "db"]));
    await waitFor(async () => (await claimsOf("holder")).join() === "db,web", {
      timeoutMs: 10_000,
      intervalMs: 50,
      what: "the claims to be read",
    });
    // Written by an early renewal, not at the next interval.
    expect(performance.now() - asked).toBeLessThan(2_000);
    // The holder counts them claimed once its renewal's answer is back, which the reader may see the write before.
    await waitFor(async () => [...holder.claimed()].sort().join() === "db,web", {
      timeoutMs: 10_000,
      intervalMs: 20,
      what: "claimed() to say db,web",
    });
    holder.claim(new Set(["web"]));
    await waitFor(async () => (await claimsOf("holder")).join() === "web", {
      timeoutMs: 10_000,
      what: "db let go",
    });
    await holder.stop();
    expect((await reader.read()).live.map((m) => m.identity)).not.toContain("holder");
    expect(holder.claimed()).toEqual(new Set());
  });

  it("stops counting itself in within the renew deadline once the apiserver stops answering, and again once it answers", async () => {
    let cut = false;
    const send: KubeRequest = (method, path, body, options) =>
      cut ? Promise.reject(new Error("connection refused")) : request(method, path, body, options);
    const isolated = member("isolated", send);
    await waitFor(async () => isolated.holds() || undefined, { timeoutMs: 10_000, what: "a first renewal" });
    cut = true;
    const cutAt = performance.now();
    await waitFor(async () => !isolated.holds() || undefined, {
      timeoutMs: 10_000,
      intervalMs: 50,
      what: "holds() false",
    });
    const lost = performance.now() - cutAt;
    // Never past the renew deadline, so before any other member could count it out.
    expect(lost).toBeLessThanOrEqual(TIMING.renewDeadlineMs + 100);
    expect(lost).toBeLessThan(TIMING.leaseDurationMs);
    cut = false;
    await waitFor(async () => isolated.holds() || undefined, {
      timeoutMs: 10_000,
      what: "holds() true again",
    });
  });
});

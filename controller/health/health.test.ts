import { describe, expect, it } from "vitest";
import type { Clock } from "../../common/clock.js";
import { type KubeObject, type ObjectRef, refKey } from "../../kube/objects.js";
import { assessHealth, FINISHED_AND_REMOVED, removesItselfWhenFinished, waitForHealthy } from "./health.js";

const deployment = (
  status: Record<string, unknown>,
  spec: Record<string, unknown> = {},
  generation = 2,
): KubeObject => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "apps", generation },
  spec: { replicas: 2, ...spec },
  status,
});
const job = (status: Record<string, unknown>): KubeObject => ({
  apiVersion: "batch/v1",
  kind: "Job",
  metadata: { name: "migrate", namespace: "apps", generation: 1 },
  spec: {},
  status,
});
const done = { observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2 };

describe("assessHealth", () => {
  it.each([
    { name: "Deployment rolled out", object: deployment(done), status: "ready" },
    {
      name: "Deployment not observed yet",
      object: deployment({ ...done, observedGeneration: 1 }),
      status: "progressing",
    },
    {
      name: "Deployment updating",
      object: deployment({ ...done, updatedReplicas: 1 }),
      status: "progressing",
    },
    {
      name: "Deployment with old replicas left",
      object: deployment({ ...done, replicas: 3 }),
      status: "progressing",
    },
    {
      name: "Deployment not yet available",
      object: deployment({ ...done, availableReplicas: 1 }),
      status: "progressing",
    },
    {
      name: "Deployment past its progress deadline",
      object: deployment({
        ...done,
        updatedReplicas: 1,
        conditions: [
          {
            type: "Progressing",
            status: "False",
            reason: "ProgressDeadlineExceeded",
            message: 'ReplicaSet "web-1" has timed out progressing.',
          },
        ],
      }),
      status: "failed",
    },
    {
      name: "StatefulSet ready at the new revision",
      object: {
        ...deployment({ observedGeneration: 2, readyReplicas: 2, currentRevision: "b", updateRevision: "b" }),
        kind: "StatefulSet",
      },
      status: "ready",
    },
    {
      name: "StatefulSet between revisions",
      object: {
        ...deployment({ observedGeneration: 2, readyReplicas: 2, currentRevision: "a", updateRevision: "b" }),
        kind: "StatefulSet",
      },
      status: "progressing",
    },
    {
      name: "DaemonSet with a pod not updated",
      object: {
        ...deployment({
          observedGeneration: 2,
          desiredNumberScheduled: 3,
          updatedNumberScheduled: 2,
          numberAvailable: 3,
        }),
        kind: "DaemonSet",
      },
      status: "progressing",
    },
    {
      name: "Job complete",
      object: job({ conditions: [{ type: "Complete", status: "True" }] }),
      status: "ready",
    },
    { name: "Job running", object: job({ active: 1 }), status: "progressing" },
    {
      name: "Job failed",
      object: job({
        conditions: [
          {
            type: "Failed",
            status: "True",
            reason: "BackoffLimitExceeded",
            message: "Job has reached the specified backoff limit",
          },
        ],
      }),
      status: "failed",
    },
  ])("$name is $status", ({ object, status }) => {
    expect(assessHealth(object).status).toBe(status);
  });
});

/** manualClock moves on as the wait sleeps; `stepWall` moves its wall clock alone, as an NTP step does. */
function manualClock(): Clock & { slept: number[]; stepWall(ms: number): void } {
  let elapsed = 0;
  let wall = Date.UTC(2026, 0, 1);
  const slept: number[] = [];
  return {
    slept,
    now: () => wall + elapsed,
    monotonic: () => elapsed,
    sleep: async (ms) => {
      slept.push(ms);
      elapsed += ms;
    },
    stepWall: (ms) => {
      wall += ms;
    },
  };
}

const ref: ObjectRef = { apiVersion: "apps/v1", kind: "Deployment", namespace: "apps", name: "web" };

describe("waitForHealthy", () => {
  it("polls until the rollout completes", async () => {
    const states = [
      deployment({ ...done, availableReplicas: 0 }),
      deployment({ ...done, availableReplicas: 1 }),
      deployment(done),
    ];
    const clock = manualClock();
    const result = await waitForHealthy({
      refs: [ref],
      read: async () => states.shift() ?? deployment(done),
      timeoutMs: 10_000,
      intervalMs: 1000,
      clock,
    });
    expect(result.healthy).toBe(true);
    expect(clock.slept).toEqual([1000, 1000]);
  });

  it("gives up at the deadline and reports the last state with its conditions", async () => {
    const stuck = deployment({
      ...done,
      availableReplicas: 1,
      conditions: [{ type: "Available", status: "False", reason: "MinimumReplicasUnavailable" }],
    });
    const clock = manualClock();
    const result = await waitForHealthy({
      refs: [ref],
      read: async () => stuck,
      timeoutMs: 2500,
      intervalMs: 1000,
      clock,
    });
    expect(result.healthy).toBe(false);
    expect(result.objects[0]?.message).toBe("timed out after 2500ms: 1 of 2 updated replicas available");
    expect(result.objects[0]?.conditions[0]?.reason).toBe("MinimumReplicasUnavailable");
    expect(clock.slept).toEqual([1000, 1000, 500]);
  });

  it.each([
    ["forward by an hour", 3_600_000],
    ["back by an hour", -3_600_000],
    ["forward by a year", 365 * 86_400_000],
  ])("waits its timeout, no less and no more, when the wall clock steps %s mid-wait", async (_name, step) => {
    const clock = manualClock();
    let reads = 0;
    const result = await waitForHealthy({
      refs: [ref],
      read: async () => {
        if (++reads === 2) clock.stepWall(step);
        return deployment({ ...done, availableReplicas: 0 });
      },
      timeoutMs: 5000,
      intervalMs: 1000,
      clock,
    });
    expect(result.objects[0]?.message).toMatch(/^timed out after 5000ms/);
    expect(clock.slept.reduce((sum, ms) => sum + ms, 0)).toBe(5000);
  });

  it("stops early when a workload failed for good", async () => {
    const clock = manualClock();
    const failed = job({ conditions: [{ type: "Failed", status: "True", message: "backoff limit" }] });
    const result = await waitForHealthy({
      refs: [{ apiVersion: "batch/v1", kind: "Job", namespace: "apps", name: "migrate" }],
      read: async () => failed,
      timeoutMs: 60_000,
      clock,
    });
    expect(result).toMatchObject({
      healthy: false,
      objects: [{ status: "failed", message: "backoff limit" }],
    });
    expect(clock.slept).toEqual([]);
  });

  it("counts a self-removing Job that is gone as finished, and any other Job that is gone as not yet there", async () => {
    const jobRef = { apiVersion: "batch/v1", kind: "Job", namespace: "apps", name: "migrate" };
    const ttlJob = { ...job({}), spec: { ttlSecondsAfterFinished: 0 } };
    expect([removesItselfWhenFinished(ttlJob), removesItselfWhenFinished(job({}))]).toEqual([true, false]);
    const wait = (removedWhenFinished: ReadonlySet<string>) =>
      waitForHealthy({
        refs: [jobRef],
        read: async () => undefined,
        timeoutMs: 2000,
        intervalMs: 1000,
        clock: manualClock(),
        removedWhenFinished,
      });
    const gone = await wait(new Set([refKey(jobRef)]));
    expect(gone).toMatchObject({
      healthy: true,
      objects: [{ status: "ready", message: FINISHED_AND_REMOVED }],
    });
    const missing = await wait(new Set());
    expect(missing).toMatchObject({
      healthy: false,
      objects: [{ message: "timed out after 2000ms: not found" }],
    });
  });

  it("reports a self-removing Job seen failed before it went as failed", async () => {
    const jobRef = { apiVersion: "batch/v1", kind: "Job", namespace: "apps", name: "migrate" };
    const reads = [
      job({ conditions: [{ type: "Failed", status: "True", message: "backoff limit" }] }),
      undefined,
    ];
    const result = await waitForHealthy({
      refs: [jobRef],
      read: async () => reads.shift(),
      timeoutMs: 5000,
      clock: manualClock(),
      removedWhenFinished: new Set([refKey(jobRef)]),
    });
    expect(result).toMatchObject({
      healthy: false,
      objects: [{ status: "failed", message: "backoff limit" }],
    });
  });

  it("ignores objects without a rollout and treats read errors as not yet", async () => {
    let reads = 0;
    const result = await waitForHealthy({
      refs: [{ apiVersion: "v1", kind: "ConfigMap", name: "c", namespace: "apps" }, ref],
      read: async () => {
        reads++;
        if (reads === 1) throw new Error("connection reset");
        return deployment(done);
      },
      timeoutMs: 5000,
      clock: manualClock(),
    });
    expect(result.healthy).toBe(true);
    expect(result.objects.map((o) => o.kind)).toEqual(["Deployment"]);
  });
});

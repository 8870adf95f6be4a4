import { describe, expect, it } from "vitest";
import type { ObjectApplyResult } from "../../applyers/applyer.js";
import type { Clock } from "../../common/clock.js";
import type { KubeObject } from "../../kube/objects.js";
import { checkHealth, describeUnhealthy } from "./health-check.js";

// A Deployment that never becomes available, and a clock on which each wait passes at once.
const stuck: KubeObject = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "shop", generation: 1 },
  spec: { replicas: 1, selector: { matchLabels: { app: "web" } } },
  status: { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 0 },
};
const crashing: KubeObject = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web-7d9", namespace: "shop" },
  status: {
    phase: "Running",
    containerStatuses: [
      {
        name: "app",
        state: { waiting: { reason: "CrashLoopBackOff" } },
        lastState: { terminated: { exitCode: 3 } },
      },
    ],
  },
};
function fastClock(): Clock {
  let t = 0;
  return {
    now: () => t,
    monotonic: () => t,
    sleep: async (ms) => {
      t += ms;
    },
  };
}
const applied: ObjectApplyResult[] = [
  { apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "web", action: "configured" },
];

describe("checkHealth", () => {
  it("names what the pods of an unhealthy workload show, listing them by its selector", async () => {
    const asked: string[] = [];
    const unhealthy = await checkHealth(applied, {
      readObject: async () => stuck,
      listPods: async (namespace, selector) => {
        asked.push(`${namespace} ${selector}`);
        return [crashing];
      },
      healthTimeoutMs: 5_000,
      dryRun: false,
      clock: fastClock(),
    });
    expect(asked).toEqual(["shop app=web"]);
    expect(unhealthy.map(describeUnhealthy)).toEqual([
      expect.stringMatching(
        /^Deployment shop\/web: .*; pod web-7d9: container app waiting: CrashLoopBackOff, last exit code 3$/,
      ),
    ]);
  });

  it("still reports the workload when its pods cannot be read", async () => {
    const unhealthy = await checkHealth(applied, {
      readObject: async () => stuck,
      listPods: async () => {
        throw new Error("forbidden");
      },
      healthTimeoutMs: 5_000,
      dryRun: false,
      clock: fastClock(),
    });
    expect(unhealthy).toHaveLength(1);
    expect(unhealthy[0]?.causes).toBeUndefined();
  });
});

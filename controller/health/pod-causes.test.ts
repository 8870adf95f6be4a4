import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../kube/objects.js";
import { podCause, podCauses, workloadSelector } from "./pod-causes.js";

const pod = (name: string, status: Record<string, unknown>): KubeObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "shop" },
  status,
});
const running = { running: { startedAt: "2026-01-01T00:00:00Z" } };

describe("podCause", () => {
  it.each([
    {
      name: "a pod no node can take",
      status: {
        phase: "Pending",
        conditions: [
          {
            type: "PodScheduled",
            status: "False",
            reason: "Unschedulable",
            message: "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.",
          },
        ],
      },
      want: "not scheduled: Unschedulable: 0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.",
    },
    {
      name: "a container that keeps exiting",
      status: {
        phase: "Running",
        containerStatuses: [
          {
            name: "app",
            ready: false,
            restartCount: 4,
            state: {
              waiting: { reason: "CrashLoopBackOff", message: "back-off 1m20s restarting failed container" },
            },
            lastState: { terminated: { exitCode: 3, reason: "Error" } },
          },
        ],
      },
      want: "container app waiting: CrashLoopBackOff: back-off 1m20s restarting failed container, last exit code 3 (Error), 4 restarts",
    },
    {
      name: "an image that cannot be pulled",
      status: {
        phase: "Pending",
        containerStatuses: [
          {
            name: "app",
            state: { waiting: { reason: "ImagePullBackOff", message: 'Back-off pulling image "nope:1"' } },
          },
        ],
      },
      want: 'container app waiting: ImagePullBackOff: Back-off pulling image "nope:1"',
    },
    {
      name: "a failed init container",
      status: {
        phase: "Pending",
        initContainerStatuses: [
          {
            name: "bootstrap",
            state: { terminated: { exitCode: 1, reason: "Error", message: "checksum mismatch" } },
          },
        ],
      },
      want: "init container bootstrap exited with code 1 (Error): checksum mismatch",
    },
    {
      name: "a readiness probe that never passes",
      status: {
        phase: "Running",
        containerStatuses: [{ name: "web", ready: false, started: true, restartCount: 0, state: running }],
      },
      want: "container web running but not ready: its readiness probe is not passing",
    },
    {
      name: "a pod that failed",
      status: { phase: "Failed", reason: "Evicted", message: "The node was low on resource: memory." },
      want: "failed: Evicted: The node was low on resource: memory.",
    },
  ])("says why for $name", ({ status, want }) => {
    expect(podCause(pod("p", status))).toBe(want);
  });

  it.each([
    {
      name: "a ready pod",
      status: { phase: "Running", containerStatuses: [{ name: "a", ready: true, state: running }] },
    },
    {
      name: "a starting pod",
      status: {
        phase: "Pending",
        containerStatuses: [{ name: "a", state: { waiting: { reason: "ContainerCreating" } } }],
      },
    },
    {
      name: "a completed init container",
      status: {
        phase: "Running",
        initContainerStatuses: [{ name: "i", state: { terminated: { exitCode: 0 } } }],
      },
    },
    { name: "a pod without status", status: {} },
  ])("finds nothing wrong with $name", ({ status }) => {
    expect(podCause(pod("p", status))).toBeUndefined();
  });
});

describe("podCauses", () => {
  it("groups pods by cause and bounds the list", () => {
    const crash = {
      phase: "Running",
      containerStatuses: [{ name: "a", state: { waiting: { reason: "CrashLoopBackOff" } } }],
    };
    const pending = { conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable" }] };
    const pods = [
      pod("a-1", crash),
      pod("a-2", crash),
      pod("a-3", pending),
      pod("a-4", { phase: "Running" }),
    ];
    expect(podCauses(pods)).toEqual([
      "pod a-1 (and 1 more): container a waiting: CrashLoopBackOff",
      "pod a-3: not scheduled: Unschedulable",
    ]);
    expect(podCauses(pods, 1)).toHaveLength(1);
  });
});

describe("workloadSelector", () => {
  it.each([
    {
      name: "matchLabels",
      selector: { matchLabels: { app: "web", tier: "front" } },
      want: "app=web,tier=front",
    },
    {
      name: "matchExpressions",
      selector: {
        matchExpressions: [
          { key: "env", operator: "In", values: ["a", "b"] },
          { key: "x", operator: "NotIn", values: ["c"] },
          { key: "y", operator: "Exists" },
          { key: "z", operator: "DoesNotExist" },
        ],
      },
      want: "env in (a,b),x notin (c),y,!z",
    },
    { name: "no selector", selector: undefined, want: undefined },
  ])("turns $name into a labelSelector", ({ selector, want }) => {
    const workload: KubeObject = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "w" },
      spec: { selector },
    };
    expect(workloadSelector(workload)).toBe(want);
  });
});

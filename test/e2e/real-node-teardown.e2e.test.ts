import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { createTestNamespace, kubeconfigPath, kubectl } from "./cluster.js";
import { onRealNode, requireRealNode } from "./real-node.js";

// `scripts/test-cluster.sh down` must leave the host as `up` found it: the real node adds a bridge, iptables rules,
// sysctls, mounts, cgroups, network namespaces, processes and files in paths the kubelet and containerd hard-code.

const SCRIPT = new URL("../../scripts/test-cluster.sh", import.meta.url).pathname;

const realNode = (...args: string[]) => execa(SCRIPT, ["real-node", ...args], { reject: false });

/** lines returns the facts of a host snapshot (`real-node snapshot`), one per line. */
const lines = (snapshot: string) => snapshot.split("\n").filter((line) => line !== "");

/** changes lists the lines only one of two snapshots has, marked `-` (gone) or `+` (new). */
function changes(before: string, after: string): string[] {
  const was = new Set(lines(before));
  const is = new Set(lines(after));
  return [
    ...[...was].filter((line) => !is.has(line)).map((line) => `- ${line}`),
    ...[...is].filter((line) => !was.has(line)).map((line) => `+ ${line}`),
  ];
}

/**
 * workload gives the node something to clean up: pods with volumes, on the pod network, behind a Service; a DaemonSet.
 */
const workload = JSON.stringify({
  apiVersion: "v1",
  kind: "List",
  items: [
    { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "page" }, data: { "index.html": "hi\n" } },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web" },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: "web" } },
        template: {
          metadata: { labels: { app: "web" } },
          spec: {
            ...onRealNode,
            containers: [
              {
                name: "web",
                image: "busybox:1.36",
                command: ["httpd", "-f", "-p", "8080", "-h", "/www"],
                volumeMounts: [
                  { name: "page", mountPath: "/www" },
                  { name: "scratch", mountPath: "/scratch" },
                ],
                readinessProbe: { httpGet: { path: "/", port: 8080 }, periodSeconds: 1 },
              },
            ],
            volumes: [
              { name: "page", configMap: { name: "page" } },
              { name: "scratch", emptyDir: {} },
            ],
          },
        },
      },
    },
    {
      // DaemonSet pods ignore a cordon: the teardown must keep them from coming back while it drains.
      apiVersion: "apps/v1",
      kind: "DaemonSet",
      metadata: { name: "agent" },
      spec: {
        selector: { matchLabels: { app: "agent" } },
        template: {
          metadata: { labels: { app: "agent" } },
          spec: {
            ...onRealNode,
            terminationGracePeriodSeconds: 1,
            containers: [{ name: "agent", image: "busybox:1.36", command: ["sleep", "3600"] }],
          },
        },
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web" },
      spec: { selector: { app: "web" }, ports: [{ port: 80, targetPort: 8080 }] },
    },
  ],
});

describe("the real node's teardown", () => {
  it("leaves no bridge, rule, sysctl, mount, cgroup, netns, process or file behind, twice", async (context) => {
    const node = requireRealNode(context);
    const own = (await execa(SCRIPT, ["env"])).stdout.replace(/^KUBECONFIG=/, "");
    if (own !== kubeconfigPath())
      context.skip("the cluster is not the one scripts/test-cluster.sh runs here");
    try {
      const firstDown = await realNode("down");
      expect(firstDown.exitCode, firstDown.stderr).toBe(0);
      const before = (await realNode("snapshot")).stdout;
      // The baseline itself is clean: nothing of a real node is on the host.
      expect(
        lines(before).filter((line) => /sgreal0|KUBE-|kubepods|kubelet|cni-|10\.77\.0\./.test(line)),
      ).toEqual([]);
      for (const round of [1, 2]) {
        const up = await realNode("up");
        expect(up.exitCode, up.stderr).toBe(0);
        const ns = await createTestNamespace(`teardown-${round}`);
        await kubectl(["-n", ns.name, "apply", "-f", "-"], { input: workload });
        await kubectl(["-n", ns.name, "rollout", "status", "deployment/web", "--timeout=60s"]);
        await kubectl(["-n", ns.name, "rollout", "status", "daemonset/agent", "--timeout=60s"]);
        // Pods are still running when the node goes down: the teardown must stop them itself.
        const down = await realNode("down");
        expect(down.exitCode, down.stderr).toBe(0);
        expect(changes(before, (await realNode("snapshot")).stdout), `round ${round}`).toEqual([]);
        await kubectl(["delete", "namespace", ns.name, "--wait=true", "--timeout=60s"]);
      }
    } finally {
      // The other test files need the node back.
      const up = await realNode("up");
      expect(up.exitCode, up.stderr).toBe(0);
    }
    expect(
      (
        await kubectl([
          "get",
          "node",
          node.name,
          "-o",
          'jsonpath={.status.addresses[?(@.type=="InternalIP")].address}',
        ])
      ).trim(),
    ).toBe(node.hostIp);
  });
});

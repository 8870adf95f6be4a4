import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestNamespace, kubectl, kubectlJson, type TestNamespace, waitFor } from "./cluster.js";

interface Condition {
  type: string;
  status: string;
}

interface ObjectMeta {
  name: string;
  labels?: Record<string, string>;
  ownerReferences?: { kind: string; name: string }[];
  managedFields?: { manager: string; operation: string }[];
}

interface Node {
  metadata: ObjectMeta;
  status: { conditions: Condition[] };
}

interface Pod {
  metadata: ObjectMeta;
  spec: { nodeName?: string };
  status: { phase: string };
}

interface List<T> {
  items: T[];
}

const managementLabel = "node-role.nokube.io/management";

const deployment = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      containers:
        - name: web
          image: registry.k8s.io/pause:3.10
`;

const daemonSet = `
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels: { app: agent }
  template:
    metadata:
      labels: { app: agent }
    spec:
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
              - matchExpressions:
                  - { key: ${managementLabel}, operator: In, values: ["true"] }
      tolerations:
        - { key: ${managementLabel}, operator: Exists, effect: NoSchedule }
      containers:
        - name: agent
          image: registry.k8s.io/pause:3.10
`;

function isReady(node: Node): boolean {
  return node.status.conditions.some((c) => c.type === "Ready" && c.status === "True");
}

describe("the test cluster", () => {
  let namespace: TestNamespace;

  beforeAll(async () => {
    namespace = await createTestNamespace("cluster-e2e");
  });

  afterAll(async () => {
    await namespace?.cleanup();
  });

  it("answers readyz", async () => {
    expect(await kubectl(["get", "--raw", "/readyz"])).toBe("ok");
  });

  it("has a Ready management node and a Ready worker node", async () => {
    const nodes = await kubectlJson<List<Node>>(["get", "nodes"]);
    const byName = new Map(nodes.items.map((n) => [n.metadata.name, n]));
    const mgmt = byName.get("mgmt-0");
    const worker = byName.get("worker-0");
    expect(mgmt && isReady(mgmt)).toBe(true);
    expect(worker && isReady(worker)).toBe(true);
    expect(mgmt?.metadata.labels?.[managementLabel]).toBe("true");
    expect(worker?.metadata.labels?.[managementLabel]).toBeUndefined();
  });

  it("rolls out a Deployment applied server-side with field manager simple-gitops", async () => {
    const ns = namespace.name;
    await kubectl(["-n", ns, "apply", "--server-side", "--field-manager=simple-gitops", "-f", "-"], {
      input: deployment,
    });
    await kubectl(["-n", ns, "rollout", "status", "deployment/web", "--timeout=60s"]);

    const replicaSets = await kubectlJson<List<{ metadata: ObjectMeta }>>(["-n", ns, "get", "replicasets"]);
    expect(replicaSets.items.map((rs) => rs.metadata.ownerReferences?.[0])).toEqual([
      expect.objectContaining({ kind: "Deployment", name: "web" }),
    ]);
    const pods = await kubectlJson<List<Pod>>(["-n", ns, "get", "pods", "-l", "app=web"]);
    expect(pods.items.map((p) => p.status.phase)).toEqual(["Running", "Running"]);

    const applied = await kubectlJson<{ metadata: ObjectMeta }>([
      "-n",
      ns,
      "get",
      "deployment/web",
      "--show-managed-fields",
    ]);
    expect(applied.metadata.managedFields).toContainEqual(
      expect.objectContaining({ manager: "simple-gitops", operation: "Apply" }),
    );
  });

  it("runs a management-node DaemonSet on mgmt-0 only", async () => {
    const ns = namespace.name;
    await kubectl(["-n", ns, "apply", "--server-side", "--field-manager=simple-gitops", "-f", "-"], {
      input: daemonSet,
    });
    const running = await waitFor(
      async () => {
        const pods = await kubectlJson<List<Pod>>(["-n", ns, "get", "pods", "-l", "app=agent"]);
        return pods.items.length > 0 && pods.items.every((p) => p.status.phase === "Running") && pods.items;
      },
      { timeoutMs: 60_000, what: "the agent DaemonSet's pods to run" },
    );
    expect(running.map((p) => p.spec.nodeName)).toEqual(["mgmt-0"]);
    await kubectl(["-n", ns, "rollout", "status", "daemonset/agent", "--timeout=30s"]);
    const status = await kubectlJson<{ status: { desiredNumberScheduled: number; numberReady: number } }>([
      "-n",
      ns,
      "get",
      "daemonset/agent",
    ]);
    expect(status.status).toMatchObject({ desiredNumberScheduled: 1, numberReady: 1 });
  });
});

import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ServiceView } from "../../controller/report/server/views.js";
import type { GitRepo } from "../github-server/git-repo.js";
import { createGitHubWorld, type GitHubWorld } from "../github-server/harness.js";
import {
  createTestNamespace,
  kubeconfigPath,
  kubectl,
  kubectlJson,
  type TestNamespace,
  waitFor,
} from "./cluster.js";
import { type ControllerProcess, startController } from "./controller-process.js";
import { availableRealNode, onRealNode, requireRealNode } from "./real-node.js";
import type { RealNode } from "./real-node-lookup.js";

// Pods here run for real on the test cluster's real node: images, commands, probes and the scheduler decide, where
// on KWOK's nodes every pod "runs" whatever it says.

interface Pod {
  metadata: { name: string };
  spec: { nodeName?: string };
  status: {
    phase: string;
    podIP?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    containerStatuses?: {
      ready: boolean;
      restartCount: number;
      state: { waiting?: { reason: string }; running?: object };
      lastState: { terminated?: { exitCode: number } };
    }[];
  };
}

const HEALTH_TIMEOUT_S = 40;

/** httpd is a busybox web server Deployment on the real node that serves `greeting` at / on port 8080. */
function httpd(name: string, greeting: string, overrides: { probePath?: string; cpu?: string } = {}) {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          ...onRealNode,
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: "web",
              image: "busybox:1.36",
              command: [
                "sh",
                "-c",
                'mkdir -p /tmp/www && echo "$GREETING" > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www',
              ],
              env: [{ name: "GREETING", value: greeting }],
              ports: [{ name: "http", containerPort: 8080 }],
              readinessProbe: {
                httpGet: { path: overrides.probePath ?? "/", port: "http" },
                periodSeconds: 1,
              },
              ...(overrides.cpu ? { resources: { requests: { cpu: overrides.cpu } } } : {}),
            },
          ],
        },
      },
    },
  };
}

/** exiting is a Deployment on the real node whose container prints a line and exits with code 3. */
function exiting(name: string) {
  const deployment = httpd(name, "unused");
  const [container] = deployment.spec.template.spec.containers;
  if (container) container.command = ["sh", "-c", "echo giving up; exit 3"];
  return deployment;
}

const service = (name: string) => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name },
  spec: { selector: { app: name }, ports: [{ name: "http", port: 80, targetPort: "http" }] },
});

const yaml = (...objects: object[]) => objects.map((o) => `---\n${JSON.stringify(o, null, 2)}\n`).join("");

const SERVICES = ["plain", "exits", "unready", "unschedulable"] as const;
type ServiceName = (typeof SERVICES)[number];

let world: GitHubWorld;
let ns: TestNamespace;
let controller: ControllerProcess | undefined;
let node: RealNode;
const repos = new Map<ServiceName, GitRepo>();
const greeting = `hello from a real pod ${randomBytes(4).toString("hex")}`;

const view = async (name: ServiceName) =>
  (await (await fetch(`${controller?.url}/v1/gitops/services/${name}`)).json()) as ServiceView;

const podsOf = async (app: string) =>
  (await kubectlJson<{ items: Pod[] }>(["-n", ns.name, "get", "pods", "-l", `app=${app}`])).items;

/** failedAt waits until the controller reports `name` failed at the repository's head, and returns its view. */
async function failedAt(name: ServiceName): Promise<ServiceView> {
  const head = await repos.get(name)?.head();
  return waitFor(
    async () => {
      const v = await view(name);
      return v.state === "failed" && v.last_error?.commit === head && v;
    },
    {
      timeoutMs: (HEALTH_TIMEOUT_S + 60) * 1000,
      what: `the controller to report ${name} failed`,
      describe: async () => JSON.stringify(await view(name)),
    },
  );
}

describe("workloads on the real node, applied by the controller", () => {
  beforeAll(async () => {
    const found = availableRealNode();
    // Without one, each test says why it is skipped (or fails where this machine could run one).
    if (!found) return;
    node = found;
    world = await createGitHubWorld();
    ns = await createTestNamespace("real-node");
    const manifests: Record<ServiceName, string> = {
      plain: yaml(httpd("plain", greeting), service("plain")),
      exits: yaml(exiting("exits")),
      unready: yaml(httpd("unready", "unused", { probePath: "/never-there" })),
      unschedulable: yaml(httpd("unschedulable", "unused", { cpu: "64" })),
    };
    for (const name of SERVICES) {
      // One repository each: repositories sync concurrently, so the three failures wait out one health timeout.
      const repo = await world.addRepo("org", name, "t0ken");
      await repo.commit({ "app/workload.yaml": manifests[name] });
      repos.set(name, repo);
    }
    const config = `
github_configs:
${SERVICES.map((name) => `  ${name}: { repo_owner: org, repo_name: ${name}, token_env: GH_TOKEN, api_url: "${world.server.url}" }`).join("\n")}
services:
${SERVICES.map((name) => `  - { name: ${name}, github: ${name}, k8s_yaml_dir: app, namespace: ${ns.name} }`).join("\n")}
poll_interval: 2s
listen: "127.0.0.1:0"
applyers: [kubectl]
health_timeout: ${HEALTH_TIMEOUT_S}s
`;
    controller = await startController(config, {
      KUBECONFIG: kubeconfigPath(),
      GH_TOKEN: "t0ken",
      PATH: process.env.PATH ?? "",
    });
  });

  beforeEach((context) => {
    requireRealNode(context);
  });

  afterAll(async () => {
    await controller?.stop();
    await world?.close();
    await ns?.cleanup();
  });

  it("runs a plain Deployment as written: Ready on the real node, answering HTTP on its pod IP and Service", async () => {
    const head = await repos.get("plain")?.head();
    const landed = await waitFor(
      async () => {
        const v = await view("plain");
        return v.state === "deployed" && v.last_commit_id === head && v;
      },
      {
        timeoutMs: 120_000,
        what: "the plain service to land",
        describe: async () => JSON.stringify(await view("plain")),
      },
    );
    expect(landed.last_error).toBeNull();
    // As written by default: no release, so no bootstrap; the pod template in the cluster is git's, command and all.
    expect(landed.stateless).toEqual({ bootstrap: false, reason: expect.stringMatching(/^no release/) });
    const live = await kubectlJson<{
      spec: { template: { spec: { initContainers?: unknown; containers: { command: string[] }[] } } };
    }>(["-n", ns.name, "get", "deployment", "plain"]);
    expect(live.spec.template.spec.initContainers).toBeUndefined();
    expect(live.spec.template.spec.containers.map((c) => c.command)).toEqual([
      httpd("plain", greeting).spec.template.spec.containers[0]?.command,
    ]);
    const [pod, ...others] = await podsOf("plain");
    expect(others).toEqual([]);
    expect(pod?.spec.nodeName).toBe(node.name);
    expect(pod?.status.containerStatuses?.map((c) => c.ready)).toEqual([true]);
    const answer = await fetch(`http://${pod?.status.podIP}:8080/`, { signal: AbortSignal.timeout(5000) });
    expect(await answer.text()).toBe(`${greeting}\n`);
    // Through kube-proxy: the Service's ClusterIP reaches the pod from the host.
    const svc = await kubectlJson<{ spec: { clusterIP: string } }>([
      "-n",
      ns.name,
      "get",
      "service",
      "plain",
    ]);
    const viaService = await fetch(`http://${svc.spec.clusterIP}/`, { signal: AbortSignal.timeout(5000) });
    expect(await viaService.text()).toBe(`${greeting}\n`);
    // The apiserver reaches the kubelet (InternalIP, its kubelet-client certificate) for exec.
    expect(
      await kubectl(["-n", ns.name, "exec", `pod/${pod?.metadata.name}`, "--", "cat", "/tmp/www/index.html"]),
    ).toBe(greeting);
  });

  it("reports a Deployment whose container exits as failed and never records its commit", async () => {
    const failed = await failedAt("exits");
    expect(failed.last_commit_id).toBe("");
    expect(failed.last_error?.message).toContain(`Deployment ${ns.name}/exits`);
    expect(failed.objects.find((o) => o.kind === "Deployment")?.health).toContain(
      "0 of 1 updated replicas available",
    );
    // The controller says why, from the pod: the container's exit code, however far its restarts have got.
    expect(failed.last_error?.message).toMatch(
      /pod exits-\S+: container web (waiting: CrashLoopBackOff.*, last exit code 3|exited with code 3)/,
    );
    // What the controller saw is what really happened: the container ran, exited with its code, and restarts.
    const [pod] = await podsOf("exits");
    expect(pod?.spec.nodeName).toBe(node.name);
    expect(pod?.status.containerStatuses?.[0]?.lastState.terminated?.exitCode).toBe(3);
    expect(pod?.status.containerStatuses?.[0]?.restartCount).toBeGreaterThan(0);
    // The kubelet keeps one dead container per pod: when the pod restarts again between reading its status and
    // asking for the logs, it answers that it cannot find them, and the next ask names the newer container.
    const previousLogs = () => kubectl(["-n", ns.name, "logs", `pod/${pod?.metadata.name}`, "--previous"]);
    await waitFor(async () => (await previousLogs()) === "giving up", {
      timeoutMs: 30_000,
      intervalMs: 1000,
      what: "the exited container's log",
      describe: previousLogs,
    });
  });

  it("reports a Deployment whose readiness probe never passes as failed and never records its commit", async () => {
    const failed = await failedAt("unready");
    expect(failed.last_commit_id).toBe("");
    expect(failed.last_error?.message).toContain(`Deployment ${ns.name}/unready`);
    expect(failed.last_error?.message).toMatch(
      /pod unready-\S+: container web running but not ready: its readiness probe is not passing/,
    );
    const [pod] = await podsOf("unready");
    expect(pod?.status.phase).toBe("Running");
    expect(pod?.status.containerStatuses?.map((c) => [c.ready, c.restartCount])).toEqual([[false, 0]]);
    expect(pod?.status.conditions?.find((c) => c.type === "Ready")?.reason).toBe("ContainersNotReady");
  });

  it("reports a Deployment that never schedules as failed and never records its commit", async () => {
    const failed = await failedAt("unschedulable");
    expect(failed.last_commit_id).toBe("");
    expect(failed.last_error?.message).toContain(`Deployment ${ns.name}/unschedulable`);
    expect(failed.last_error?.message).toMatch(
      /pod unschedulable-\S+: not scheduled: Unschedulable: .*Insufficient cpu/,
    );
    const [pod] = await podsOf("unschedulable");
    expect(pod?.spec.nodeName).toBeUndefined();
    const scheduled = pod?.status.conditions?.find((c) => c.type === "PodScheduled");
    expect([scheduled?.status, scheduled?.reason]).toEqual(["False", "Unschedulable"]);
    expect(scheduled?.message).toContain("Insufficient cpu");
  });
});

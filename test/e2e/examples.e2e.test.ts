import yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadExampleConfig, renderExample } from "../../examples/render-examples.js";
import type { KubeObject } from "../../kube/objects.js";
import { createTestNamespace, kubectl, kubectlJson, type TestNamespace } from "./cluster.js";

// The same objects the controller would apply for examples/gitops-config.yaml, each service in a namespace of its
// own so that runs never meet; the kubectl flags are the kubectl applyer's.
const config = loadExampleConfig();
const DOWNLOAD_BASE_URL = "http://gitops-controller.default.svc:8080";
const APPLY = ["apply", "--server-side", "--field-manager=simple-gitops", "-f", "-"];

const toYaml = (objects: KubeObject[]) => objects.map((o) => yaml.dump(o, { noRefs: true })).join("---\n");
const WORKLOADS: Record<string, string> = { Deployment: "deployment", StatefulSet: "statefulset" };

describe.each(
  config.services.map((service) => ({ name: service.name, service })),
)("example service $name on a real apiserver", ({ name, service }) => {
  let ns: TestNamespace;
  let objects: KubeObject[];

  beforeAll(async () => {
    ns = await createTestNamespace(`e2e-example-${name}`);
    objects = renderExample(config, service, { namespace: ns.name, downloadBaseUrl: DOWNLOAD_BASE_URL });
  });
  afterAll(async () => {
    await ns?.cleanup();
  });

  it("is accepted by kubectl apply --server-side, field validation included", async () => {
    const out = await kubectl(APPLY, { input: toYaml(objects) });
    const applied = out.split("\n").filter((line) => line.endsWith("serverside-applied"));
    expect(applied).toHaveLength(objects.length);
  });

  it("rolls out every workload (KWOK plays the kubelet)", async () => {
    const workloads = objects.filter((o) => WORKLOADS[o.kind] !== undefined);
    expect(workloads.length).toBeGreaterThan(0);
    for (const workload of workloads) {
      await kubectl([
        "-n",
        ns.name,
        "rollout",
        "status",
        `${WORKLOADS[workload.kind]}/${workload.metadata.name}`,
        "--timeout=120s",
      ]);
      const live = await kubectlJson<{ spec: { replicas: number }; status: { readyReplicas?: number } }>([
        "-n",
        ns.name,
        "get",
        `${WORKLOADS[workload.kind]}/${workload.metadata.name}`,
      ]);
      expect(live.status.readyReplicas).toBe(live.spec.replicas);
    }
  });

  it("keeps the stateless bootstrap in the live pods", async () => {
    const pods = await kubectlJson<{ items: { spec: { initContainers?: { name: string }[] } }[] }>([
      "-n",
      ns.name,
      "get",
      "pods",
    ]);
    expect(pods.items.length).toBeGreaterThan(0);
    for (const pod of pods.items) {
      expect(pod.spec.initContainers?.[0]?.name).toBe("simple-gitops-bootstrap");
    }
  });

  it("shows no difference when the same render is applied again", async () => {
    // kubectl diff exits 0 when nothing would change, 1 with a diff; the render is stable, so the cluster is too.
    const again = renderExample(config, service, { namespace: ns.name, downloadBaseUrl: DOWNLOAD_BASE_URL });
    await expect(
      kubectl(["diff", "--server-side", "--field-manager=simple-gitops", "-f", "-"], {
        input: toYaml(again),
      }),
    ).resolves.toBe("");
  });
});

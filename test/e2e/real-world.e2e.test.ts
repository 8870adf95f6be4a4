import { join } from "node:path";
import yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { KubeObject } from "../real-world/objects.js";
import { referenceBuild } from "../real-world/reference-build.js";
import { type StackRunner, startStackRunner } from "../real-world/stack-run.js";
import { FIXTURES, type RealWorldStack, STACKS } from "../real-world/stacks.js";
import { kubeconfigPath, kubectl, kubectlJson } from "./cluster.js";

const WORKLOADS = new Set(["Deployment", "DaemonSet", "StatefulSet", "Job"]);
const REAL_NODE_LABEL = "node.simple-gitops.io/real";

let runner: StackRunner;

beforeAll(async () => {
  runner = await startStackRunner();
});
afterAll(() => runner.close());

interface SyncLine {
  readonly msg: string;
  readonly service?: string;
  readonly status?: string;
  readonly error?: { code: string; message: string };
}

/** syncOnce runs the controller once on the stack against the test cluster and finds the service's result line. */
async function syncOnce(stack: RealWorldStack) {
  const run = await runner.runOnce(stack, {
    config: "applyers: [kubectl]\nhealth_timeout: 60s\n",
    env: { KUBECONFIG: kubeconfigPath() },
  });
  const lines = run.stderr
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as SyncLine);
  const result = lines.find((line) => line.service === stack.name && line.status !== undefined);
  return { ...run, result };
}

interface Owned {
  readonly kind: string;
  readonly metadata: { name: string; namespace?: string; ownerReferences?: { kind: string; name: string }[] };
  readonly spec?: { nodeName?: string };
}

/**
 * onRealNodes names the stack's workloads (`Kind namespace/name`) that have a pod on a real node, where a container
 * must really start: a stack whose DaemonSet tolerates every taint (node-exporter) lands a pod there whose image
 * this machine cannot pull. KWOK runs every other pod.
 */
async function onRealNodes(workloads: readonly KubeObject[]): Promise<Set<string>> {
  const real = new Set(
    (await kubectlJson<{ items: Owned[] }>(["get", "nodes", "-l", REAL_NODE_LABEL])).items.map(
      (n) => n.metadata.name,
    ),
  );
  const namespaces = [...new Set(workloads.map((w) => w.metadata.namespace ?? "default"))];
  const found = new Set<string>();
  for (const namespace of namespaces) {
    const pods = (await kubectlJson<{ items: Owned[] }>(["-n", namespace, "get", "pods"])).items;
    const sets = (await kubectlJson<{ items: Owned[] }>(["-n", namespace, "get", "replicasets"])).items;
    for (const pod of pods.filter((p) => real.has(p.spec?.nodeName ?? ""))) {
      let owner = pod.metadata.ownerReferences?.[0];
      if (owner?.kind === "ReplicaSet") {
        const name = owner.name;
        owner = sets.find((set) => set.metadata.name === name)?.metadata.ownerReferences?.[0];
      }
      if (owner) found.add(`${owner.kind} ${namespace}/${owner.name}`);
    }
  }
  return found;
}

describe.each(STACKS)("the public stack $name on the test cluster", (stack) => {
  let reference: KubeObject[] = [];
  afterAll(async () => {
    // The APIService of a metrics server no pod serves would stall discovery, and with it namespace deletion, for
    // every later test: everything the stack brought goes.
    await kubectl(["delete", "-f", "-", "--ignore-not-found", "--wait=false"], {
      input: reference.map((object) => `---\n${yaml.dump(object)}`).join(""),
    });
  });

  it("lands whole, every workload healthy that KWOK can run", { timeout: 240_000 }, async () => {
    reference = await referenceBuild(join(FIXTURES, stack.name), stack, inject("helm"));
    const sync = await syncOnce(stack);
    // Every object of the reference build is in the cluster (kubectl get fails on any that is missing), but a Job
    // with ttlSecondsAfterFinished, which Kubernetes deletes once it completed, as its authors mean it to.
    const kept = reference.filter(
      (object) =>
        !(
          object.kind === "Job" &&
          (object.spec as { ttlSecondsAfterFinished?: number }).ttlSecondsAfterFinished !== undefined
        ),
    );
    await kubectl(["get", "-f", "-", "-o", "name"], {
      input: kept.map((object) => `---\n${yaml.dump(object)}`).join(""),
    });
    const workloads = reference.filter((object) => WORKLOADS.has(object.kind));
    const stuck = await onRealNodes(workloads);
    if (stuck.size === 0) {
      expect(sync.code, sync.stderr).toBe(0);
      expect(sync.result?.status).toBe("applied");
      return;
    }
    // Only the workloads with a pod on a real node are reported, each by name.
    expect(sync.code).toBe(1);
    expect(sync.result?.error?.code).toBe("E_UNHEALTHY");
    const named = workloads
      .map((w) => `${w.kind} ${w.metadata.namespace ?? "default"}/${w.metadata.name}`)
      .filter((ref) => sync.result?.error?.message.includes(`${ref}:`));
    expect(new Set(named)).toEqual(stuck);
  });
});

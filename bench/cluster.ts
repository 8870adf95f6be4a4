import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import type { KubeObject } from "../kube/objects.js";

const script = fileURLToPath(new URL("../scripts/test-cluster.sh", import.meta.url));

/**
 * testClusterKubeconfig returns the kubeconfig of the project's test cluster, starting it with
 * `scripts/test-cluster.sh up` only when `status` says it is not running and its apiserver does not answer. It never
 * stops the cluster: it may belong to someone else.
 */
export async function testClusterKubeconfig(): Promise<string> {
  const status = await execa(script, ["status"], { reject: false });
  // status also fails for a cluster without its real node; `up` would then build one on a host another cluster's
  // real node may hold, and a failed `up` puts the host back, taking that one's bridge with it.
  if (status.exitCode !== 0 && !(await answers(await kubeconfigOf()))) {
    await execa(script, ["up"], { stdio: ["ignore", "ignore", "inherit"] });
  }
  return kubeconfigOf();
}

async function kubeconfigOf(): Promise<string> {
  const env = await execa(script, ["env"]);
  const line = env.stdout.split("\n").find((candidate) => candidate.startsWith("KUBECONFIG="));
  if (!line) throw new Error(`scripts/test-cluster.sh env printed no KUBECONFIG= line: ${env.stdout}`);
  return line.slice("KUBECONFIG=".length);
}

async function answers(kubeconfig: string): Promise<boolean> {
  const readyz = await execa("kubectl", ["--kubeconfig", kubeconfig, "get", "--raw", "/readyz"], {
    reject: false,
    timeout: 15_000,
  });
  return readyz.exitCode === 0;
}

/** kubectl runs kubectl against `kubeconfig` and resolves with its stdout; a non-zero exit rejects. */
export async function kubectl(kubeconfig: string, args: readonly string[], input?: string): Promise<string> {
  const result = await execa("kubectl", ["--kubeconfig", kubeconfig, ...args], {
    ...(input === undefined ? {} : { input }),
  });
  return result.stdout;
}

/** createNamespace creates a namespace named `prefix-<random>` and returns its name. */
export async function createNamespace(kubeconfig: string, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(4).toString("hex")}`;
  await kubectl(kubeconfig, ["create", "namespace", name]);
  return name;
}

/** deleteNamespaces asks for the namespaces to go and does not wait for them to finish terminating. */
export async function deleteNamespaces(kubeconfig: string, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  await kubectl(kubeconfig, ["delete", "namespace", ...names, "--wait=false", "--ignore-not-found"]);
}

/**
 * benchObjects is `count` objects in `namespace`, a third each of ConfigMaps, Services and Deployments. The
 * Deployments have `replicas: 0` so that creating pods on the test cluster does not load it during later timings.
 */
export function benchObjects(namespace: string, count: number, version = 1): KubeObject[] {
  return Array.from({ length: count }, (_, index): KubeObject => {
    const name = `obj-${String(index).padStart(4, "0")}`;
    const metadata = { name, namespace, labels: { app: name } };
    switch (index % 3) {
      case 0:
        return {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata,
          data: { index: String(index), version: String(version) },
        };
      case 1:
        return {
          apiVersion: "v1",
          kind: "Service",
          metadata,
          spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }] },
        };
      default:
        return {
          apiVersion: "apps/v1",
          kind: "Deployment",
          metadata,
          spec: {
            replicas: 0,
            selector: { matchLabels: { app: name } },
            template: {
              metadata: { labels: { app: name } },
              spec: { containers: [{ name: "app", image: "registry.example/app:1.0" }] },
            },
          },
        };
    }
  });
}

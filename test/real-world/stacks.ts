import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";

/** FIXTURES is where the public stacks are kept, each at a pinned commit with its licence and SOURCE.md. */
export const FIXTURES = new URL("../fixtures/real-world/", import.meta.url).pathname;

/**
 * RealWorldStack is one public stack as its authors ship it, served to the controller as one service: `dir` is the
 * service's k8s_yaml_dir inside the stack's fixture, `reference` the build its authors document (the files as they
 * are, `kubectl kustomize`, or `helm template` through a kustomization's helmCharts).
 */
export interface RealWorldStack {
  readonly name: string;
  readonly dir: string;
  readonly reference: "files" | "kustomize" | HelmReference;
  /** What the stack brings that the suite must handle. */
  readonly shape: string;
  /** The service's `namespace`, for the objects that name none (a chart's, applied as `helm install -n` would). */
  readonly namespace?: string;
}

/** HelmReference is `helm template` of a chart of the stack, plus plain files beside it, paths inside the stack. */
export interface HelmReference {
  readonly chart: string;
  readonly release: string;
  readonly namespace: string;
  readonly valuesFile: string;
  readonly files: readonly string[];
}

export const STACKS: readonly RealWorldStack[] = [
  {
    name: "kube-prometheus",
    dir: "manifests",
    reference: "files",
    shape: "CRDs in a subdirectory and their custom resources, a 1 MB file, Roles in default and kube-system",
  },
  {
    name: "podinfo-webapp",
    dir: "webapp",
    reference: "files",
    shape: "plain manifests in subdirectories: a Namespace, RBAC, Deployments, HPAs, Services",
  },
  {
    name: "metrics-server",
    dir: "manifests/overlays/release",
    reference: "kustomize",
    shape: "a kustomize overlay over a base and a component, an APIService",
  },
  {
    name: "ingress-nginx",
    dir: "cloud",
    reference: "kustomize",
    shape: "admission webhooks, the Jobs that make their certificate, an IngressClass",
  },
  {
    name: "podinfo-chart",
    dir: ".",
    namespace: "podinfo",
    reference: {
      chart: "charts/podinfo",
      release: "podinfo",
      namespace: "podinfo",
      valuesFile: "charts/podinfo/values-prod.yaml",
      files: ["namespace.yaml"],
    },
    shape: "a local Helm chart with production values (Redis, an HPA) through a kustomization's helmCharts",
  },
];

/** stackFiles reads a stack's fixture as repository files, keyed by their path inside it (the service dir included). */
export async function stackFiles(stack: RealWorldStack): Promise<Record<string, string>> {
  const root = join(FIXTURES, stack.name);
  const files: Record<string, string> = {};
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files[relative(root, path)] = await readFile(path, "utf8");
  }
  return files;
}

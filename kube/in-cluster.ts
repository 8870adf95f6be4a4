import { join } from "node:path";
import { type CredentialDeps, tokenFileCredentials } from "./credentials.js";
import { KubeConfigError } from "./errors.js";
import type { KubeTarget } from "./target.js";

/** IN_CLUSTER_DIR is where Kubernetes mounts a pod's service-account token, CA and namespace. */
export const IN_CLUSTER_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/**
 * inClusterTarget is the apiserver as a pod sees it: KUBERNETES_SERVICE_HOST and _PORT, the mounted CA, and the
 * mounted token, read again every minute because the kubelet rotates projected tokens (about hourly) in place.
 */
export function inClusterTarget(dir: string, deps: CredentialDeps): KubeTarget {
  const host = deps.env.KUBERNETES_SERVICE_HOST ?? "";
  const port = deps.env.KUBERNETES_SERVICE_PORT ?? "";
  const fail = (message: string) => new KubeConfigError(`in-cluster config: ${message}`);
  let ca: string;
  try {
    ca = deps.readFile(join(dir, "ca.crt"));
  } catch (error: unknown) {
    throw fail(`cannot read ${join(dir, "ca.crt")}: ${(error as Error).message}`);
  }
  // An IPv6 service address needs brackets in a URL.
  const server = `https://${host.includes(":") ? `[${host}]` : host}:${port}`;
  const token = tokenFileCredentials(join(dir, "token"), "token", deps, fail);
  return { server, tls: { ca, rejectUnauthorized: true }, ...token };
}

import type { RbacRule } from "../controller/config/types.js";
import type { ContainerMemory } from "./container-memory.js";
/** InstallOptions are the apply-gitops flags every manifest builder reads. */
export interface InstallOptions {
  readonly namespace: string;
  readonly clusterName: string;
  readonly image: string;
  readonly port: number;
  /** The controller container's memory request and limit (`--memory-limit`); the default's when unset. */
  readonly memory?: ContainerMemory;
  /** The `namespaces` allowlist of the config: Roles per namespace instead of a ClusterRole. */
  readonly namespaces?: readonly string[];
  /** The config's `rbac_rules`: granted beside the built-in rules, in the ClusterRole or each namespace's Role. */
  readonly rbacRules?: readonly RbacRule[];
}

/** NAME is the seed's name for the controller's DaemonSet, ServiceAccount, Service and RBAC objects. */
export const NAME = "gitops-controller";
/** CONFIG_MAP_NAME and CONFIG_KEY are the seed's ConfigMap and key holding gitops-config.yaml. */
export const CONFIG_MAP_NAME = "gitops-config";
export const CONFIG_KEY = "gitops-config.yaml";
/** SECRET_NAME holds every credential the ConfigMap'd config refers to by environment variable. */
export const SECRET_NAME = "gitops-controller-secrets";
/** MANAGEMENT_NODE_LABEL is the seed's node label for the nodes the controller runs on. */
export const MANAGEMENT_NODE_LABEL = "node-role.nokube.io/management";
/** MANAGEMENT_NODE_VALUE is the value of {@link MANAGEMENT_NODE_LABEL} the DaemonSet's node affinity selects. */
export const MANAGEMENT_NODE_VALUE = "true";
/**
 * FIELD_MANAGER is the server-side apply field manager of both install paths (apply-gitops applying itself, and
 * `apply-gitops --dry-run | kubectl apply --server-side --field-manager=...`), so either may follow the other.
 */
export const FIELD_MANAGER = "simple-gitops-install";
/**
 * SYNC_TOKEN_KEY and READ_TOKEN_KEY are the HTTP API's bearer tokens as the controller reads them from its
 * environment (controller/start/serve.ts), so also their keys in the install's Secret.
 */
export const SYNC_TOKEN_KEY = "GITOPS_SYNC_TOKEN";
export const READ_TOKEN_KEY = "GITOPS_READ_TOKEN";

/** labels are the recommended Kubernetes labels on every object of the install. */
export function labels(options: InstallOptions): Record<string, string> {
  return {
    "app.kubernetes.io/name": NAME,
    "app.kubernetes.io/part-of": "simple-gitops",
    "app.kubernetes.io/managed-by": "apply-gitops",
    "simple-gitops.io/cluster": options.clusterName,
  };
}

/** metadata builds an object's metadata with the install's labels. */
export function metadata(options: InstallOptions, name: string, namespace?: string) {
  return { name, ...(namespace ? { namespace } : {}), labels: labels(options) };
}

// The install's object names (apply-gitops, install/). They are repeated here rather than imported because the
// controller image is built from controller/ alone; own-objects.test.ts checks every object apply-gitops builds is
// refused, so the two cannot drift apart unnoticed.
/** CONTROLLER_NAME names the controller's ServiceAccount, DaemonSet and Service (install/options.ts NAME). */
export const CONTROLLER_NAME = "gitops-controller";
/** CONFIG_MAP_NAME is the ConfigMap holding gitops-config.yaml. */
export const CONFIG_MAP_NAME = "gitops-config";
/** SECRET_NAME is the Secret holding every credential the config refers to. */
export const SECRET_NAME = "gitops-controller-secrets";
/** SELF_ROLE_NAME is the Role (and RoleBinding) in the controller's namespace for its Lease and state. */
export const SELF_ROLE_NAME = `${CONTROLLER_NAME}-self`;
/** APPLY_ROLE_NAME is the Role (and RoleBinding) in each allowed namespace that lets the controller apply. */
export const APPLY_ROLE_NAME = `${CONTROLLER_NAME}-apply`;
/** LEASE_NAME is the leader-election Lease (controller/loop/leader.ts). */
export const LEASE_NAME = "simple-gitops-leader";
/** MEMBER_LEASE_PREFIX starts the Lease of each pod sharing the services out (controller/fleet/member-lease.ts). */
export const MEMBER_LEASE_PREFIX = "simple-gitops-member-";
/** MEMBER_LEASE_LABEL marks every member Lease: the members are the live Leases carrying it. */
export const MEMBER_LEASE_LABEL = "simple-gitops.io/lease";
/** STATE_CONFIG_MAP_NAME is the ConfigMap of `state: configmap` (controller/record/state/configmap.ts). */
export const STATE_CONFIG_MAP_NAME = "simple-gitops-state";
/**
 * STATE_SHARDS is how many ConfigMaps a state too big for one spreads its services over
 * (controller/record/state/split-state.ts). Fixed, so RBAC can grant each by name.
 */
export const STATE_SHARDS = 64;

/** stateShardName names shard `index` of the state ConfigMap `base`: `simple-gitops-state-7`. */
export function stateShardName(base: string, index: number): string {
  return `${base}-${index}`;
}

/** STATE_SHARD_NAMES are the install's state shard ConfigMaps, in shard order. */
export const STATE_SHARD_NAMES: readonly string[] = Array.from({ length: STATE_SHARDS }, (_, index) =>
  stateShardName(STATE_CONFIG_MAP_NAME, index),
);

/** clusterRoleName is the ClusterRole (and ClusterRoleBinding) of an install without a namespace allowlist. */
export function clusterRoleName(installNamespace: string): string {
  return `simple-gitops:${installNamespace}:${CONTROLLER_NAME}`;
}

/** DEFAULT_INSTALL_NAMESPACE is apply-gitops's default `--namespace`. */
export const DEFAULT_INSTALL_NAMESPACE = "default";
/** SERVICE_ACCOUNT_NAMESPACE_FILE is where a pod's own namespace is mounted with its service account token. */
export const SERVICE_ACCOUNT_NAMESPACE_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

/**
 * resolveInstallNamespace is the controller's own namespace: `POD_NAMESPACE` (the DaemonSet sets it), else the
 * in-cluster service account's namespace file, else `default` (apply-gitops's default).
 */
export function resolveInstallNamespace(
  env: Readonly<Record<string, string | undefined>>,
  readFile: (path: string) => string,
): string {
  const fromEnv = env.POD_NAMESPACE?.trim();
  if (fromEnv) return fromEnv;
  try {
    const fromFile = readFile(SERVICE_ACCOUNT_NAMESPACE_FILE).trim();
    if (fromFile) return fromFile;
  } catch {
    // Not in a pod: fall through to the default.
  }
  return DEFAULT_INSTALL_NAMESPACE;
}

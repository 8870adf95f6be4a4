import { RenderError } from "./errors.js";
import type { ScopeLookup } from "./scope.js";
import { describeRef, groupOf, type KubeObject, refOf, SOURCE_PATH_ANNOTATION } from "./types.js";

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
/** LEASE_NAME is the leader-election Lease (controller/leader.ts). */
export const LEASE_NAME = "simple-gitops-leader";
/** STATE_CONFIG_MAP_NAME is the ConfigMap of `state: configmap` (controller/state/configmap.ts). */
export const STATE_CONFIG_MAP_NAME = "simple-gitops-state";

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

const CORE = "";
const RBAC = "rbac.authorization.k8s.io";

interface Refusal {
  readonly object: KubeObject;
  readonly why: string;
}

/**
 * checkOwnObjects refuses, before anything is sent, a set that would create or change the install's own objects
 * (its ConfigMap, Secret, ServiceAccount, RBAC, DaemonSet, Service, Lease, state ConfigMap, its Namespace), bind
 * anything to its ServiceAccount, add RBAC in its namespace, or run a pod in its namespace that mounts or reads its
 * Secret or runs as its ServiceAccount. Every refused object is named, with why; the error's subject is their
 * source file(s).
 */
export function checkOwnObjects(
  objects: readonly KubeObject[],
  installNamespace: string,
  scope: ScopeLookup,
): void {
  const refusals: Refusal[] = [];
  for (const object of objects) {
    const why = refusalOf(object, installNamespace, scope);
    if (why) refusals.push({ object, why });
  }
  if (refusals.length === 0) return;
  throw new RenderError(
    "E_OWN_OBJECT",
    sourcePaths(refusals.map((r) => r.object)),
    `${refusals.map((r) => `${describeRef(refOf(r.object))}: ${r.why}`).join("; ")}; nothing was applied`,
  );
}

/** sourcePaths names the distinct source files of objects, in order, for an error's subject. */
export function sourcePaths(objects: readonly KubeObject[]): string {
  const paths = objects.map((o) => o.metadata.annotations?.[SOURCE_PATH_ANNOTATION] ?? describeRef(refOf(o)));
  return [...new Set(paths)].join(", ");
}

function refusalOf(object: KubeObject, ns: string, scope: ScopeLookup): string | undefined {
  const group = groupOf(object.apiVersion);
  const { kind } = object;
  const name = object.metadata.name;
  const inOwnNamespace = scope(object) !== "Cluster" && object.metadata.namespace === ns;
  const own = `the controller's own namespace ${ns}`;

  if (group === CORE && kind === "Namespace" && name === ns) {
    return `is ${own}; git must not change (or, pruning, delete) it`;
  }
  if (
    group === RBAC &&
    (kind === "ClusterRole" || kind === "ClusterRoleBinding") &&
    name === clusterRoleName(ns)
  ) {
    return "is the controller's own cluster RBAC";
  }
  if (group === RBAC && (kind === "Role" || kind === "RoleBinding") && name === APPLY_ROLE_NAME) {
    return "is the controller's own RBAC";
  }
  if (
    group === RBAC &&
    (kind === "RoleBinding" || kind === "ClusterRoleBinding") &&
    bindsController(object, ns)
  ) {
    return `binds a role to the controller's ServiceAccount ${ns}/${CONTROLLER_NAME}`;
  }
  if (!inOwnNamespace) return undefined;

  const ownNames: Record<string, readonly string[]> = {
    "/ConfigMap": [CONFIG_MAP_NAME, STATE_CONFIG_MAP_NAME],
    "/Secret": [SECRET_NAME],
    "/ServiceAccount": [CONTROLLER_NAME],
    "/Service": [CONTROLLER_NAME],
    "apps/DaemonSet": [CONTROLLER_NAME],
    "coordination.k8s.io/Lease": [LEASE_NAME],
  };
  if (ownNames[`${group}/${kind}`]?.includes(name)) return `is the controller's own object in ${own}`;
  if (group === RBAC && (kind === "Role" || kind === "RoleBinding")) {
    return `RBAC in ${own} could grant git's pods the controller's Secret or ServiceAccount`;
  }
  if (group === CORE && kind === "Secret" && mintsControllerToken(object)) {
    return `would be filled with a token of the controller's ServiceAccount ${CONTROLLER_NAME}`;
  }
  const pod = podSpecOf(object);
  if (pod) return podRefusal(pod, ns);
  return undefined;
}

type Json = Record<string, unknown>;

const asRecord = (value: unknown): Json | undefined =>
  value && typeof value === "object" && !Array.isArray(value) ? (value as Json) : undefined;
const asArray = (value: unknown): Json[] =>
  Array.isArray(value) ? value.map(asRecord).filter((v): v is Json => v !== undefined) : [];

function bindsController(binding: KubeObject, ns: string): boolean {
  return asArray(binding.subjects).some((subject) => {
    if (subject.kind === "ServiceAccount") {
      const subjectNs = subject.namespace ?? binding.metadata.namespace;
      return subject.name === CONTROLLER_NAME && subjectNs === ns;
    }
    if (subject.kind === "User") return subject.name === `system:serviceaccount:${ns}:${CONTROLLER_NAME}`;
    if (subject.kind === "Group") return subject.name === `system:serviceaccounts:${ns}`;
    return false;
  });
}

function mintsControllerToken(secret: KubeObject): boolean {
  return (
    secret.type === "kubernetes.io/service-account-token" &&
    secret.metadata.annotations?.["kubernetes.io/service-account.name"] === CONTROLLER_NAME
  );
}

/** podSpecOf finds the pod spec of every kind that runs pods, at whatever depth its kind keeps it. */
function podSpecOf(object: KubeObject): Json | undefined {
  const spec = asRecord(object.spec);
  if (!spec && object.kind !== "PodTemplate") return undefined;
  switch (`${groupOf(object.apiVersion)}/${object.kind}`) {
    case "/Pod":
      return spec;
    case "/PodTemplate":
      return asRecord(asRecord(object.template)?.spec);
    case "/ReplicationController":
    case "apps/Deployment":
    case "apps/StatefulSet":
    case "apps/DaemonSet":
    case "apps/ReplicaSet":
    case "batch/Job":
      return asRecord(asRecord(spec?.template)?.spec);
    case "batch/CronJob":
      return asRecord(asRecord(asRecord(asRecord(spec?.jobTemplate)?.spec)?.template)?.spec);
    default:
      return undefined;
  }
}

function podRefusal(pod: Json, ns: string): string | undefined {
  const account = pod.serviceAccountName ?? pod.serviceAccount;
  if (account === CONTROLLER_NAME) return `runs as the controller's ServiceAccount ${ns}/${CONTROLLER_NAME}`;
  for (const volume of asArray(pod.volumes)) {
    if (asRecord(volume.secret)?.secretName === SECRET_NAME) {
      return `mounts the controller's Secret ${SECRET_NAME} (volume ${String(volume.name)})`;
    }
    const sources = asArray(asRecord(volume.projected)?.sources);
    if (sources.some((source) => asRecord(source.secret)?.name === SECRET_NAME)) {
      return `mounts the controller's Secret ${SECRET_NAME} (projected volume ${String(volume.name)})`;
    }
  }
  const containers = [
    ...asArray(pod.initContainers),
    ...asArray(pod.containers),
    ...asArray(pod.ephemeralContainers),
  ];
  for (const container of containers) {
    const where = `container ${String(container.name)}`;
    if (asArray(container.envFrom).some((from) => asRecord(from.secretRef)?.name === SECRET_NAME)) {
      return `reads the controller's Secret ${SECRET_NAME} (envFrom in ${where})`;
    }
    const fromEnv = asArray(container.env).some(
      (env) => asRecord(asRecord(env.valueFrom)?.secretKeyRef)?.name === SECRET_NAME,
    );
    if (fromEnv) return `reads the controller's Secret ${SECRET_NAME} (env in ${where})`;
  }
  return undefined;
}

import {
  asArray,
  asRecord,
  effectiveServiceAccount,
  type Json,
  podSpecOf,
  secretReferencePath,
} from "../../../kube/pod-spec.js";
import { DesiredSetError } from "../errors.js";
import {
  APPLY_ROLE_NAME,
  CONFIG_MAP_NAME,
  CONTROLLER_NAME,
  clusterRoleName,
  LEASE_NAME,
  MEMBER_LEASE_LABEL,
  MEMBER_LEASE_PREFIX,
  SECRET_NAME,
  STATE_CONFIG_MAP_NAME,
  STATE_SHARD_NAMES,
} from "./own-names.js";
import { rulesReach } from "./rbac-reach.js";
import type { ScopeLookup } from "./scope.js";
import { describeRef, groupOf, type KubeObject, refOf, SOURCE_PATH_ANNOTATION } from "./types.js";

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
  const roleOf = indexRoles(objects);
  for (const object of objects) {
    const why = refusalOf(object, installNamespace, scope, roleOf);
    if (why) refusals.push({ object, why });
  }
  if (refusals.length === 0) return;
  throw new DesiredSetError(
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

/** A role's reach: why it could reach the controller, or that it cannot be known from the set. */
type RoleReach = { readonly why: string } | undefined;

/** RoleIndex answers what a binding's roleRef grants, as far as the set shows it. */
type RoleIndex = (binding: KubeObject) => { readonly name: string; readonly reach: RoleReach };

function indexRoles(objects: readonly KubeObject[]): RoleIndex {
  const roles = new Map<string, KubeObject>();
  for (const object of objects) {
    if (groupOf(object.apiVersion) !== RBAC) continue;
    if (object.kind === "Role")
      roles.set(`Role/${object.metadata.namespace}/${object.metadata.name}`, object);
    if (object.kind === "ClusterRole") roles.set(`ClusterRole/${object.metadata.name}`, object);
  }
  return (binding) => {
    const ref = asRecord(binding.roleRef);
    const kind = String(ref?.kind ?? "");
    const name = `${kind} ${String(ref?.name ?? "")}`;
    const key =
      kind === "Role"
        ? `Role/${binding.metadata.namespace}/${String(ref?.name)}`
        : `ClusterRole/${String(ref?.name)}`;
    const role = roles.get(key);
    if (!role) return { name, reach: { why: "is not in this set, so what it grants cannot be checked" } };
    if (role.aggregationRule !== undefined) {
      return { name, reach: { why: "aggregates other ClusterRoles, so what it grants cannot be checked" } };
    }
    const why = rulesReach(role.rules);
    return { name, reach: why ? { why } : undefined };
  };
}

function refusalOf(
  object: KubeObject,
  ns: string,
  scope: ScopeLookup,
  roleOf: RoleIndex,
): string | undefined {
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
  if (group === RBAC && (kind === "RoleBinding" || kind === "ClusterRoleBinding")) {
    const why = bindingRefusal(object, ns, inOwnNamespace, roleOf);
    if (why) return why;
  }
  if (!inOwnNamespace) return undefined;

  const ownNames: Record<string, readonly string[]> = {
    "/ConfigMap": [CONFIG_MAP_NAME, STATE_CONFIG_MAP_NAME, ...STATE_SHARD_NAMES],
    "/Secret": [SECRET_NAME],
    "/ServiceAccount": [CONTROLLER_NAME],
    "/Service": [CONTROLLER_NAME],
    "apps/DaemonSet": [CONTROLLER_NAME],
    "coordination.k8s.io/Lease": [LEASE_NAME],
  };
  if (ownNames[`${group}/${kind}`]?.includes(name)) return `is the controller's own object in ${own}`;
  if (group === "coordination.k8s.io" && kind === "Lease") {
    // Every live Lease with the member label is a member: it would be handed services it never syncs.
    if (name.startsWith(MEMBER_LEASE_PREFIX)) return `is a member Lease of the controller in ${own}`;
    if (object.metadata.labels?.[MEMBER_LEASE_LABEL] !== undefined)
      return `carries the label ${MEMBER_LEASE_LABEL} of the controller's member Leases in ${own}, which would join its members`;
  }
  if (group === RBAC && kind === "Role") {
    const why = object.rules === undefined ? undefined : rulesReach(object.rules);
    if (why)
      return `is RBAC in ${own} that ${why}, which could reach the controller's Secret or ServiceAccount`;
  }
  if (group === CORE && kind === "Secret" && mintsControllerToken(object)) {
    return `would be filled with a token of the controller's ServiceAccount ${CONTROLLER_NAME}`;
  }
  const pod = podSpecOf(object);
  if (pod) return podRefusal(pod, ns);
  return undefined;
}

// Groups every ServiceAccount of a namespace, every ServiceAccount, and every authenticated caller belong to.
// https://kubernetes.io/docs/reference/access-authn-authz/rbac/#referring-to-subjects
const groupsWithController = (ns: string) => [
  `system:serviceaccounts:${ns}`,
  "system:serviceaccounts",
  "system:authenticated",
];

/**
 * bindingRefusal refuses a binding that names the controller's ServiceAccount (always), one that binds a group the
 * controller belongs to, and any binding in the controller's namespace, when its role could reach the controller or
 * cannot be read from the set.
 */
function bindingRefusal(
  binding: KubeObject,
  ns: string,
  inOwnNamespace: boolean,
  roleOf: RoleIndex,
): string | undefined {
  const subjects = asArray(binding.subjects);
  const direct = subjects.some((subject) => {
    if (subject.kind === "ServiceAccount") {
      const subjectNs = subject.namespace || binding.metadata.namespace;
      return subject.name === CONTROLLER_NAME && subjectNs === ns;
    }
    return subject.kind === "User" && subject.name === `system:serviceaccount:${ns}:${CONTROLLER_NAME}`;
  });
  if (direct) return `binds a role to the controller's ServiceAccount ${ns}/${CONTROLLER_NAME}`;
  const role = roleOf(binding);
  if (!role.reach) return undefined;
  const group = subjects.find((s) => s.kind === "Group" && groupsWithController(ns).includes(String(s.name)));
  if (group) {
    return `binds ${role.name} to group ${String(group.name)}, which contains the controller's ServiceAccount, and that role ${role.reach.why}`;
  }
  if (inOwnNamespace)
    return `grants ${role.name} in the controller's own namespace ${ns}, and that role ${role.reach.why}`;
  return undefined;
}

function mintsControllerToken(secret: KubeObject): boolean {
  return (
    secret.type === "kubernetes.io/service-account-token" &&
    secret.metadata.annotations?.["kubernetes.io/service-account.name"] === CONTROLLER_NAME
  );
}

function podRefusal(pod: Json, ns: string): string | undefined {
  if (effectiveServiceAccount(pod) === CONTROLLER_NAME) {
    return `runs as the controller's ServiceAccount ${ns}/${CONTROLLER_NAME}`;
  }
  const where = secretReferencePath(pod, SECRET_NAME);
  if (where) return `reads the controller's Secret ${SECRET_NAME} (${where})`;
  return undefined;
}

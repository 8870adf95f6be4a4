import {
  CONFIG_MAP_NAME,
  LEASE_NAME,
  MEMBER_LEASE_PREFIX,
  STATE_CONFIG_MAP_NAME,
  STATE_SHARD_NAMES,
} from "./own-names.js";

/** PolicyRule is one entry of a Role's or ClusterRole's `rules`, as read from git (nothing trusted). */
export interface PolicyRule {
  apiGroups?: unknown;
  resources?: unknown;
  verbs?: unknown;
  resourceNames?: unknown;
}

const CORE = "";
const WRITE_VERBS = new Set(["create", "update", "patch"]);
const CHANGE_VERBS = new Set(["update", "patch", "delete", "deletecollection"]);
// Verbs that hand out more than the rule lists: RBAC's own escape hatches.
// https://kubernetes.io/docs/reference/access-authn-authz/rbac/#privilege-escalation-prevention-and-bootstrapping
const ESCALATING_VERBS = ["impersonate", "bind", "escalate"];

/** Resources that run a pod, or change one that runs, by group. Writing them picks the pod's ServiceAccount. */
const POD_MAKERS: Readonly<Record<string, readonly string[]>> = {
  [CORE]: ["pods", "pods/ephemeralcontainers", "replicationcontrollers"],
  apps: ["deployments", "statefulsets", "daemonsets", "replicasets"],
  // Old manifests still name the extensions group next to apps; read-only rules in it stay allowed.
  extensions: ["deployments", "daemonsets", "replicasets"],
  batch: ["jobs", "cronjobs"],
};

/** Core resources any verb on which reaches a credential or a running process. */
const CORE_REACHING = [
  "secrets",
  "serviceaccounts/token",
  "pods/exec",
  "pods/attach",
  "pods/portforward",
  "pods/proxy",
];

/**
 * Core and coordination objects of the controller's own that a rule may not change unless it names other objects:
 * rewriting the config ConfigMap points the controller (and its tokens) elsewhere at its next start; the state
 * ConfigMap, the leader Lease and the members' Leases (one per pod, named after it) decide what it prunes, whether
 * it runs and which pod syncs which service.
 */
const OWN_BY_NAME: Readonly<
  Record<string, { resource: string; names: readonly string[]; prefixes?: readonly string[] }[]>
> = {
  [CORE]: [{ resource: "configmaps", names: [CONFIG_MAP_NAME, STATE_CONFIG_MAP_NAME, ...STATE_SHARD_NAMES] }],
  "coordination.k8s.io": [{ resource: "leases", names: [LEASE_NAME], prefixes: [MEMBER_LEASE_PREFIX] }],
};

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];

/**
 * ruleReach says why one RBAC rule, granted in the controller's namespace, could reach the controller's credentials
 * or identity, or undefined when it cannot. Wildcards count as everything they could match, now or later.
 */
export function ruleReach(rule: PolicyRule): string | undefined {
  const groups = strings(rule.apiGroups);
  const resources = strings(rule.resources);
  const verbs = strings(rule.verbs);
  if (groups.includes("*")) return "grants every API group (apiGroups: *)";
  if (resources.some((r) => r.includes("*"))) return "grants a wildcard of resources";
  if (verbs.includes("*")) return "grants every verb (verbs: *)";
  const escalating = verbs.find((verb) => ESCALATING_VERBS.includes(verb));
  if (escalating) return `grants ${escalating}`;
  const has = (group: string, resource: string) => groups.includes(group) && resources.includes(resource);
  const reaching = CORE_REACHING.find((resource) => has(CORE, resource));
  if (reaching) return `grants ${verbs.join(",") || "(no verbs)"} on ${reaching}`;
  const writes = verbs.filter((verb) => WRITE_VERBS.has(verb));
  if (writes.length > 0) {
    for (const [group, made] of Object.entries(POD_MAKERS)) {
      const maker = made.find((resource) => has(group, resource));
      if (maker)
        return `grants ${writes.join(",")} on ${qualified(group, maker)}, which runs pods as any ServiceAccount`;
    }
  }
  // The members are the live Leases carrying the member label: a Lease someone else creates joins them and is
  // handed services it never syncs.
  if (verbs.includes("create") && has("coordination.k8s.io", "leases"))
    return "grants create on leases.coordination.k8s.io, with which a pod could add a Lease to the controller's members and be handed services it never syncs";
  const changes = verbs.filter((verb) => CHANGE_VERBS.has(verb));
  if (changes.length === 0) return undefined;
  const names = strings(rule.resourceNames);
  for (const [group, owned] of Object.entries(OWN_BY_NAME)) {
    for (const { resource, names: own, prefixes = [] } of owned) {
      if (!has(group, resource)) continue;
      const hit =
        names.length === 0
          ? own[0]
          : (own.find((name) => names.includes(name)) ??
            names.find((name) => prefixes.some((prefix) => name.startsWith(prefix))));
      if (hit) {
        return `grants ${changes.join(",")} on ${qualified(group, resource)}${names.length === 0 ? " of any name" : ""}, which includes the controller's ${hit}`;
      }
    }
  }
  return undefined;
}

/** rulesReach is the first reason any of a role's rules reaches the controller, or undefined. */
export function rulesReach(rules: unknown): string | undefined {
  if (rules === undefined || rules === null) return undefined;
  if (!Array.isArray(rules)) return "has rules that are not a list";
  for (const [index, rule] of rules.entries()) {
    if (!rule || typeof rule !== "object" || Array.isArray(rule)) return `rules[${index}] is not a rule`;
    const why = ruleReach(rule as PolicyRule);
    if (why) return `rules[${index}] ${why}`;
  }
  return undefined;
}

function qualified(group: string, resource: string): string {
  return group === CORE ? resource : `${resource}.${group}`;
}

import { describe, expect, it } from "vitest";
import { type PolicyRule, ruleReach, rulesReach } from "./rbac-reach.js";

const rule = (
  apiGroups: string[],
  resources: string[],
  verbs: string[],
  resourceNames?: string[],
): PolicyRule => ({
  apiGroups,
  resources,
  verbs,
  ...(resourceNames ? { resourceNames } : {}),
});

describe("ruleReach refuses what reaches the controller's credentials or identity", () => {
  it.each([
    { name: "reading Secrets", rule: rule([""], ["secrets"], ["get"]), why: /get on secrets/ },
    {
      name: "listing Secrets",
      rule: rule([""], ["secrets"], ["list", "watch"]),
      why: /list,watch on secrets/,
    },
    { name: "creating Secrets by name", rule: rule([""], ["secrets"], ["create"], ["x"]), why: /secrets/ },
    { name: "Secrets among others", rule: rule([""], ["configmaps", "secrets"], ["get"]), why: /secrets/ },
    {
      name: "service account tokens",
      rule: rule([""], ["serviceaccounts/token"], ["create"]),
      why: /serviceaccounts\/token/,
    },
    { name: "exec into pods", rule: rule([""], ["pods/exec"], ["create", "get"]), why: /pods\/exec/ },
    { name: "attach to pods", rule: rule([""], ["pods/attach"], ["get"]), why: /pods\/attach/ },
    {
      name: "port-forward to pods",
      rule: rule([""], ["pods/portforward"], ["create"]),
      why: /pods\/portforward/,
    },
    { name: "proxy to pods", rule: rule([""], ["pods/proxy"], ["get"]), why: /pods\/proxy/ },
    { name: "creating pods", rule: rule([""], ["pods"], ["create"]), why: /create on pods, which runs pods/ },
    {
      name: "adding ephemeral containers",
      rule: rule([""], ["pods/ephemeralcontainers"], ["patch"]),
      why: /ephemeralcontainers/,
    },
    {
      name: "patching Deployments",
      rule: rule(["apps"], ["deployments"], ["patch"]),
      why: /patch on deployments\.apps/,
    },
    {
      name: "updating StatefulSets",
      rule: rule(["apps"], ["statefulsets"], ["update"]),
      why: /statefulsets\.apps/,
    },
    {
      name: "creating DaemonSets",
      rule: rule(["apps"], ["daemonsets"], ["create"]),
      why: /daemonsets\.apps/,
    },
    {
      name: "creating ReplicaSets",
      rule: rule(["apps"], ["replicasets"], ["create"]),
      why: /replicasets\.apps/,
    },
    {
      name: "old extensions Deployments",
      rule: rule(["extensions"], ["deployments"], ["create"]),
      why: /deployments\.extensions/,
    },
    { name: "creating Jobs", rule: rule(["batch"], ["jobs"], ["create"]), why: /jobs\.batch/ },
    { name: "patching CronJobs", rule: rule(["batch"], ["cronjobs"], ["patch"]), why: /cronjobs\.batch/ },
    {
      name: "ReplicationControllers",
      rule: rule([""], ["replicationcontrollers"], ["update"]),
      why: /replicationcontrollers/,
    },
    {
      name: "impersonation",
      rule: rule([""], ["serviceaccounts"], ["impersonate"]),
      why: /grants impersonate/,
    },
    { name: "bind", rule: rule(["rbac.authorization.k8s.io"], ["roles"], ["bind"]), why: /grants bind/ },
    {
      name: "escalate",
      rule: rule(["rbac.authorization.k8s.io"], ["clusterroles"], ["escalate"]),
      why: /grants escalate/,
    },
    { name: "a wildcard group", rule: rule(["*"], ["configmaps"], ["get"]), why: /every API group/ },
    { name: "a wildcard resource", rule: rule([""], ["*"], ["get"]), why: /wildcard of resources/ },
    { name: "a wildcard subresource", rule: rule([""], ["*/exec"], ["get"]), why: /wildcard of resources/ },
    { name: "a wildcard verb", rule: rule([""], ["configmaps"], ["*"]), why: /every verb/ },
    {
      name: "rewriting any ConfigMap",
      rule: rule([""], ["configmaps"], ["update"]),
      why: /configmaps of any name, which includes the controller's gitops-config/,
    },
    {
      name: "rewriting the state ConfigMap by name",
      rule: rule([""], ["configmaps"], ["patch"], ["mine", "simple-gitops-state"]),
      why: /simple-gitops-state/,
    },
    {
      name: "rewriting a shard of the state by name",
      rule: rule([""], ["configmaps"], ["update"], ["simple-gitops-state-0"]),
      why: /the controller's simple-gitops-state-0/,
    },
    {
      name: "creating Leases, which could add a member to the controller's fleet",
      rule: rule(["coordination.k8s.io"], ["leases"], ["create", "get"]),
      why: /grants create on leases\.coordination\.k8s\.io, with which a pod could add a Lease to the controller's members/,
    },
    {
      name: "renewing a member's Lease by name",
      rule: rule(
        ["coordination.k8s.io"],
        ["leases"],
        ["get", "update"],
        ["app-lock", "simple-gitops-member-gitops-controller-x7k2p"],
      ),
      why: /leases\.coordination\.k8s\.io, which includes the controller's simple-gitops-member-gitops-controller-x7k2p/,
    },
    {
      name: "deleting any Lease",
      rule: rule(["coordination.k8s.io"], ["leases"], ["delete"]),
      why: /leases\.coordination\.k8s\.io of any name/,
    },
  ])("refuses $name", ({ rule: r, why }) => {
    expect(ruleReach(r)).toMatch(why);
  });

  it.each([
    {
      name: "reading pods, services and endpoints",
      rule: rule([""], ["pods", "services", "endpoints"], ["get", "list", "watch"]),
    },
    {
      name: "reading Deployments",
      rule: rule(["apps", "extensions"], ["deployments", "replicasets"], ["get", "list", "watch"]),
    },
    { name: "deleting pods", rule: rule([""], ["pods"], ["delete", "list"]) },
    { name: "scaling Deployments", rule: rule(["apps"], ["deployments/scale"], ["update", "patch"]) },
    { name: "reading pod logs", rule: rule([""], ["pods/log"], ["get"]) },
    { name: "creating ConfigMaps", rule: rule([""], ["configmaps"], ["create", "get", "list", "watch"]) },
    {
      name: "updating its own ConfigMap by name",
      rule: rule([""], ["configmaps"], ["update", "patch"], ["app-leader"]),
    },
    {
      name: "its own Lease by name",
      rule: rule(["coordination.k8s.io"], ["leases"], ["get", "update"], ["app-lock"]),
    },
    { name: "events", rule: rule(["", "events.k8s.io"], ["events"], ["create", "patch"]) },
    { name: "secrets in another group", rule: rule(["example.com"], ["secrets"], ["get"]) },
    { name: "pods in another group", rule: rule(["example.com"], ["pods"], ["create"]) },
  ])("allows $name", ({ rule: r }) => {
    expect(ruleReach(r)).toBeUndefined();
  });

  it("names the first reaching rule of a role, and refuses rules it cannot read", () => {
    expect(rulesReach([rule([""], ["pods"], ["get"]), rule([""], ["secrets"], ["get"])])).toMatch(
      /^rules\[1\] grants get on secrets/,
    );
    expect(rulesReach([])).toBeUndefined();
    expect(rulesReach(undefined)).toBeUndefined();
    expect(rulesReach("everything")).toMatch(/not a list/);
    expect(rulesReach([42])).toMatch(/rules\[0\] is not a rule/);
  });
});

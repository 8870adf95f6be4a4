import { randomBytes } from "node:crypto";
import { execa } from "execa";
import yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { memberLeaseName } from "../../controller/fleet/member-lease.js";
import { kubeconfigPath, kubectl, kubectlJson } from "./cluster.js";
import {
  serviceAccountKubeconfig as installedAccountKubeconfig,
  installedControllerWorkspace,
  installWithoutPods,
  runOnce,
} from "./installed-controller.js";

// Hostile git content: a service that reaches for the controller's own objects is refused before anything is sent,
// the rest still syncs, and the controller runs with the install's own RBAC (a token of its ServiceAccount), so the
// least-privilege rules are shown to be enough to apply a Secret.

const TOKEN = "t0ken";
const unique = () => randomBytes(3).toString("hex");

const space = installedControllerWorkspace("own-objects-e2e-");

const install = (config: string, installNs: string) =>
  installWithoutPods(config, installNs, space.work, { GH_TOKEN: TOKEN });
const serviceAccountKubeconfig = (installNs: string) => installedAccountKubeconfig(installNs, space.work);

const canI = async (verb: string, resource: string, ns: string, installNs: string) =>
  (
    await execa(
      "kubectl",
      [
        "--kubeconfig",
        kubeconfigPath(),
        "auth",
        "can-i",
        verb,
        resource,
        ...(ns ? ["-n", ns] : []),
        "--as",
        `system:serviceaccount:${installNs}:gitops-controller`,
      ],
      { reject: false },
    )
  ).stdout.trim();

interface LiveConfigMap {
  metadata: {
    resourceVersion: string;
    labels?: Record<string, string>;
    managedFields?: { manager: string }[];
  };
  data?: Record<string, string>;
}

describe("the controller's own objects are out of git's reach", () => {
  it.each([
    "api",
    "kubectl",
  ])("refuses a service that overwrites gitops-config in the controller's namespace; the others sync (%s applyer)", async (applyer) => {
    const installNs = await space.namespace(`own-install-${applyer}`);
    const appsNs = await space.namespace(`own-apps-${applyer}`);
    const repoName = `own-${applyer}-${unique()}`;
    const repo = await space.world.addRepo("org", repoName, TOKEN);
    const config = (apiUrl: string) => `
github_configs:
  gitops: { repo_owner: org, repo_name: ${repoName}, token_env: GH_TOKEN, api_url: "${apiUrl}" }
services:
  - { name: hostile, github: gitops, k8s_yaml_dir: hostile, namespace: ${installNs}, stateless: false }
  - { name: good, github: gitops, k8s_yaml_dir: good, namespace: ${appsNs}, stateless: false }
# The risky layout the issue describes: the controller's own namespace is one git may apply into.
namespaces: [${installNs}, ${appsNs}]
poll_interval: 1h
listen: "127.0.0.1:0"
applyers: [${applyer}]
health_timeout: 30s
`;
    await install(config(space.world.server.url), installNs);
    const before = await kubectlJson<LiveConfigMap>(["-n", installNs, "get", "configmap", "gitops-config"]);

    const head = await repo.commit({
      "hostile/config.yaml": yaml.dump({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "gitops-config" },
        data: { "gitops-config.yaml": config("https://attacker.example.com") },
      }),
      "hostile/harmless.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: harmless}\ndata: {a: b}\n",
      "good/settings.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {a: b}\n",
      "good/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: app-secret}\nstringData: {k: v}\n",
    });

    const run = await runOnce(config(space.world.server.url), {
      KUBECONFIG: await serviceAccountKubeconfig(installNs),
      GH_TOKEN: TOKEN,
      POD_NAMESPACE: installNs,
    });

    expect(run.exitCode, run.stderr.slice(-3000)).toBe(1);
    const hostile = run.state.services.hostile;
    expect(hostile?.lastError).toMatchObject({ code: "E_OWN_OBJECT", commit: head });
    expect(hostile?.lastError?.message).toContain("hostile/config.yaml");
    expect(hostile?.lastError?.message).toContain(
      `ConfigMap ${installNs}/gitops-config: is the controller's own object`,
    );
    expect(hostile?.objects).toEqual([]);
    expect(run.state.services.good?.lastError).toBeUndefined();
    expect(run.state.services.good?.commit).toBe(head);

    // In the cluster: gitops-config untouched, nothing of the refused set, the good service's objects applied.
    const after = await kubectlJson<LiveConfigMap>(["-n", installNs, "get", "configmap", "gitops-config"]);
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(after.data).toEqual(before.data);
    expect(
      await kubectl(["-n", installNs, "get", "configmap", "harmless", "--ignore-not-found", "-o", "name"]),
    ).toBe("");
    expect(
      await kubectl(["-n", appsNs, "get", "configmap/settings", "secret/app-secret", "-o", "name"]),
    ).toBe("configmap/settings\nsecret/app-secret");
  }, 180_000);

  it("grants Secrets by name only, and in its own namespace only its Lease and state ConfigMap, not its config", async () => {
    const installNs = await space.namespace("own-rbac");
    const appsNs = await space.namespace("own-rbac-apps");
    await install(
      `github_configs:\n  r: { repo_owner: o, repo_name: r }\nservices:\n  - { name: web, github: r, k8s_yaml_dir: k8s, namespace: ${appsNs} }\nnamespaces: [${appsNs}]\n`,
      installNs,
    );
    for (const verb of ["get", "create", "patch", "delete"]) {
      expect(await canI(verb, "secrets", appsNs, installNs), `${verb} secrets`).toBe("yes");
    }
    expect(await canI("list", "secrets", appsNs, installNs)).toBe("no");
    expect(await canI("watch", "secrets", appsNs, installNs)).toBe("no");
    expect(await canI("get", "secrets/gitops-controller-secrets", installNs, installNs)).toBe("no");
    expect(await canI("update", "configmaps/gitops-config", installNs, installNs)).toBe("no");
    expect(await canI("patch", "configmaps/gitops-config", installNs, installNs)).toBe("no");
    expect(await canI("update", "configmaps/simple-gitops-state", installNs, installNs)).toBe("yes");
    expect(await canI("get", "configmaps/simple-gitops-state", installNs, installNs)).toBe("yes");
    expect(await canI("create", "configmaps", installNs, installNs)).toBe("yes");
    expect(
      await canI("update", "leases.coordination.k8s.io/simple-gitops-leader", installNs, installNs),
    ).toBe("yes");
    expect(await canI("create", "leases.coordination.k8s.io", installNs, installNs)).toBe("yes");
    // Each pod is a member of the fleet by default (state: configmap): its own Lease, and a list of the others'.
    expect(await canI("list", "leases.coordination.k8s.io", installNs, installNs)).toBe("yes");
    expect(
      await canI(
        "update",
        `leases.coordination.k8s.io/${memberLeaseName("gitops-controller-x7k2p")}`,
        installNs,
        installNs,
      ),
    ).toBe("yes");
  });
});

describe("no object from git runs a pod as the controller, whatever way it is written (issue 29)", () => {
  const template = (podSpec: Record<string, unknown>) => ({
    metadata: { labels: { app: "x" } },
    spec: { containers: [{ name: "c", image: "busybox:1.36" }], ...podSpec },
  });
  const deprecated = { serviceAccountName: "", serviceAccount: "gitops-controller" };
  const selector = { matchLabels: { app: "x" } };
  // One workload of each kind that carries a pod template, each through the deprecated field under an empty name.
  const workloads = [
    {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "pod", labels: { app: "x" } },
      spec: template(deprecated).spec,
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "deploy" },
      spec: { selector, template: template(deprecated) },
    },
    {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: { name: "rs" },
      spec: { selector, template: template(deprecated) },
    },
    {
      apiVersion: "apps/v1",
      kind: "DaemonSet",
      metadata: { name: "ds" },
      spec: { selector, template: template(deprecated) },
    },
    {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: { name: "sts" },
      spec: { serviceName: "sts", selector, template: template(deprecated) },
    },
    {
      apiVersion: "v1",
      kind: "ReplicationController",
      metadata: { name: "rc" },
      spec: { selector: { app: "x" }, template: template(deprecated) },
    },
    {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: "job" },
      spec: { template: template({ ...deprecated, restartPolicy: "Never" }) },
    },
    {
      apiVersion: "batch/v1",
      kind: "CronJob",
      metadata: { name: "cron" },
      spec: {
        schedule: "* * * * *",
        jobTemplate: { spec: { template: template({ ...deprecated, restartPolicy: "Never" }) } },
      },
    },
  ];
  const rbacGroup = "rbac.authorization.k8s.io";

  it("refuses every variant under the installed ServiceAccount's token, lands read-only RBAC in its namespace, and no pod runs as gitops-controller", async () => {
    const installNs = await space.namespace("own-identity");
    const repoName = `own-identity-${unique()}`;
    const repo = await space.world.addRepo("org", repoName, TOKEN);
    const service = (name: string, extra = "") =>
      `  - { name: ${name}, github: gitops, k8s_yaml_dir: ${name}, namespace: ${installNs}, stateless: false${extra} }`;
    const config = `
github_configs:
  gitops: { repo_owner: org, repo_name: ${repoName}, token_env: GH_TOKEN, api_url: "${space.world.server.url}" }
services:
${["identity", "patched", "group-binding", "shadow", "secret-reader", "reader"].map((name) => service(name)).join("\n")}
namespaces: [${installNs}]
poll_interval: 1h
listen: "127.0.0.1:0"
applyers: [api]
health_timeout: 0
`;
    await install(config, installNs);
    const head = await repo.commit({
      "identity/workloads.yaml": workloads.map((w) => `---\n${yaml.dump(w)}`).join(""),
      // After kustomize: the base is harmless, the overlay's patch switches the identity.
      "base/kustomization.yaml": "resources: [deploy.yaml]\n",
      "base/deploy.yaml": yaml.dump({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "patched" },
        spec: { selector, template: template({}) },
      }),
      "patched/kustomization.yaml": yaml.dump({
        resources: ["../base"],
        patches: [
          {
            target: { kind: "Deployment", name: "patched" },
            patch: yaml.dump([
              { op: "add", path: "/spec/template/spec/serviceAccount", value: "gitops-controller" },
            ]),
          },
        ],
      }),
      "group-binding/crb.yaml": yaml.dump({
        apiVersion: `${rbacGroup}/v1`,
        kind: "RoleBinding",
        metadata: { name: "everyone-edits" },
        roleRef: { apiGroup: rbacGroup, kind: "ClusterRole", name: "edit" },
        subjects: [{ kind: "Group", apiGroup: rbacGroup, name: "system:serviceaccounts" }],
      }),
      "shadow/crd.yaml": yaml.dump({
        apiVersion: "apiextensions.k8s.io/v1",
        kind: "CustomResourceDefinition",
        metadata: {
          name: `shadowrolebindings.${rbacGroup}`,
          annotations: {
            "api-approved.kubernetes.io": "https://github.com/kubernetes/enhancements/pull/1111",
          },
        },
        spec: {
          group: rbacGroup,
          scope: "Cluster",
          names: { kind: "RoleBinding", plural: "shadowrolebindings" },
          versions: [
            {
              name: "v1",
              served: true,
              storage: true,
              schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
            },
          ],
        },
      }),
      "shadow/binding.yaml": yaml.dump({
        apiVersion: `${rbacGroup}/v1`,
        kind: "RoleBinding",
        metadata: { name: "shadowed" },
        roleRef: { apiGroup: rbacGroup, kind: "ClusterRole", name: "edit" },
        subjects: [{ kind: "ServiceAccount", name: "default" }],
      }),
      "secret-reader/role.yaml": yaml.dump({
        apiVersion: `${rbacGroup}/v1`,
        kind: "Role",
        metadata: { name: "secret-reader" },
        rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["get"] }],
      }),
      "reader/rbac.yaml": [
        {
          apiVersion: `${rbacGroup}/v1`,
          kind: "Role",
          metadata: { name: "prometheus" },
          rules: [
            {
              apiGroups: [""],
              resources: ["pods", "services", "endpoints"],
              verbs: ["get", "list", "watch"],
            },
          ],
        },
        {
          apiVersion: `${rbacGroup}/v1`,
          kind: "RoleBinding",
          metadata: { name: "prometheus" },
          roleRef: { apiGroup: rbacGroup, kind: "Role", name: "prometheus" },
          subjects: [{ kind: "ServiceAccount", name: "prometheus" }],
        },
      ]
        .map((object) => `---\n${yaml.dump(object)}`)
        .join(""),
    });

    const run = await runOnce(config, {
      KUBECONFIG: await serviceAccountKubeconfig(installNs),
      GH_TOKEN: TOKEN,
      POD_NAMESPACE: installNs,
    });

    expect(run.exitCode, run.stderr.slice(-3000)).toBe(1);
    const error = (name: string) => run.state.services[name]?.lastError;
    for (const { kind, metadata } of workloads) {
      expect(error("identity")?.message).toContain(
        `${kind} ${installNs}/${metadata.name}: runs as the controller's ServiceAccount`,
      );
    }
    expect(error("patched")?.message).toContain(
      `Deployment ${installNs}/patched: runs as the controller's ServiceAccount`,
    );
    expect(error("group-binding")?.message).toContain(
      "to group system:serviceaccounts, which contains the controller's ServiceAccount",
    );
    expect(error("shadow")).toMatchObject({ code: "E_CRD_RESERVED_GROUP", commit: head });
    expect(error("secret-reader")?.message).toContain("grants get on secrets");
    for (const name of ["identity", "patched", "group-binding", "secret-reader"]) {
      expect(error(name), name).toMatchObject({ code: "E_OWN_OBJECT", commit: head });
      expect(run.state.services[name]?.objects, name).toEqual([]);
    }
    expect(error("reader")).toBeUndefined();
    expect(run.state.services.reader?.commit).toBe(head);

    // In the cluster: the read-only RBAC landed, nothing of the refused services did, and no pod of any kind (the
    // workload controllers had a run to make them) runs as the controller.
    const rbacObjects = (await kubectl(["-n", installNs, "get", "role,rolebinding", "-o", "name"]))
      .split("\n")
      .filter((name) => !name.includes("/gitops-controller-"));
    expect(rbacObjects).toEqual([`role.${rbacGroup}/prometheus`, `rolebinding.${rbacGroup}/prometheus`]);
    expect(
      await kubectl(["get", "crd", `shadowrolebindings.${rbacGroup}`, "--ignore-not-found", "-o", "name"]),
    ).toBe("");
    const pods = await kubectlJson<{
      items: { metadata: { name: string }; spec: { serviceAccountName?: string } }[];
    }>(["-n", installNs, "get", "pods"]);
    expect(pods.items.filter((pod) => pod.spec.serviceAccountName === "gitops-controller")).toEqual([]);
    expect(await kubectl(["-n", installNs, "get", "deploy,rs,ds,sts,rc,job,cronjob,pod", "-o", "name"])).toBe(
      "",
    );
  }, 180_000);
});

import { describe, expect, it } from "vitest";
import { parseConfig } from "../controller/config/load.js";
import { parseConfigYaml } from "../controller/config/parse-yaml.js";
import { buildInstall } from "./build-install.js";
import { type ContainerMemory, DEFAULT_MEMORY } from "./container-memory.js";
import type { daemonSet } from "./workload.js";

const BASE = `
github_configs:
  nokube: { repo_owner: AI-Infra-Team, repo_name: nokube }
services:
  - { name: etcd, github: nokube, k8s_yaml_dir: examples/etcd }
`;

type Obj = { kind: string; metadata: { name: string; namespace?: string }; [key: string]: unknown };

function build(text: string, namespace = "default", memory?: ContainerMemory): Obj[] {
  const raw = (parseConfigYaml(text) as { value: Record<string, unknown> }).value;
  const plan = buildInstall(
    parseConfig(text),
    raw,
    { namespace, clusterName: "c1", image: "img:1", ...(memory ? { memory } : {}) },
    {
      env: () => undefined,
      file: () => undefined,
    },
  );
  return plan.objects as Obj[];
}

const find = (objects: Obj[], kind: string) => objects.filter((object) => object.kind === kind);

describe("buildInstall", () => {
  it("keeps the seed's names: DaemonSet gitops-controller, ConfigMap gitops-config with gitops-config.yaml", () => {
    const objects = build(BASE);
    expect(find(objects, "DaemonSet").map((o) => o.metadata)).toMatchObject([
      { name: "gitops-controller", namespace: "default" },
    ]);
    expect(find(objects, "ConfigMap")[0]).toMatchObject({
      metadata: { name: "gitops-config" },
      data: { "gitops-config.yaml": expect.any(String) },
    });
    expect(find(objects, "Namespace")).toEqual([]);
  });

  it("runs on the management node, hardened, with probes and resources", () => {
    const ds = find(build(BASE), "DaemonSet")[0] as unknown as ReturnType<typeof daemonSet>;
    const pod = ds.spec.template.spec;
    expect(
      pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms,
    ).toEqual([
      { matchExpressions: [{ key: "node-role.nokube.io/management", operator: "In", values: ["true"] }] },
    ]);
    expect(pod.tolerations).toContainEqual({
      key: "node-role.kubernetes.io/control-plane",
      operator: "Exists",
      effect: "NoSchedule",
    });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
    const [container] = pod.containers;
    if (!container) throw new Error("no container");
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(container.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "http" });
    expect(container.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "http" });
    expect(container.resources.requests).toBeDefined();
    expect(container.resources.limits).toBeDefined();
    expect(container.args).toEqual([
      "--config",
      "/etc/gitops/gitops-config.yaml",
      "--state-dir",
      "/workspace/state",
      "--listen",
      "0.0.0.0:8080",
    ]);
    expect(container.volumeMounts).toContainEqual({ name: "workspace", mountPath: "/workspace" });
  });

  it("gives the controller the memory request and limit it is given, and the default's without", () => {
    const resources = (objects: Obj[]) =>
      (find(objects, "DaemonSet")[0] as unknown as ReturnType<typeof daemonSet>).spec.template.spec
        .containers[0]?.resources;
    expect(resources(build(BASE, "default", { request: "384Mi", limit: "1Gi" }))).toEqual({
      requests: { cpu: "50m", memory: "384Mi" },
      limits: { cpu: "500m", memory: "1Gi" },
    });
    expect(resources(build(BASE))).toEqual({
      requests: { cpu: "50m", memory: DEFAULT_MEMORY.request },
      limits: { cpu: "500m", memory: DEFAULT_MEMORY.limit },
    });
  });

  it("uses the config's listen port for the container, probes and Service", () => {
    const objects = build(`${BASE}\nlisten: "0.0.0.0:9090"`);
    const service = find(objects, "Service")[0] as unknown as { spec: { ports: { port: number }[] } };
    expect(service.spec.ports[0]?.port).toBe(9090);
  });

  it("creates the namespace when it is not default", () => {
    const objects = build(BASE, "gitops");
    expect(find(objects, "Namespace").map((o) => o.metadata.name)).toEqual(["gitops"]);
    expect(objects[0]?.kind).toBe("Namespace");
  });

  it("grants cluster-wide apply rights when no namespace allowlist is set", () => {
    const objects = build(BASE);
    expect(find(objects, "ClusterRole")).toHaveLength(1);
    expect(find(objects, "ClusterRoleBinding")).toHaveLength(1);
    expect(find(objects, "Role").map((o) => o.metadata.name)).toEqual(["gitops-controller-self"]);
  });

  it("grants Roles only in the allowed namespaces, plus its own for leases and state", () => {
    const objects = build(`${BASE}\nnamespaces: [apps, monitoring]`, "gitops");
    expect(find(objects, "Namespace").map((o) => o.metadata.name)).toEqual(["gitops", "apps", "monitoring"]);
    expect(find(objects, "ClusterRole")).toEqual([]);
    expect(find(objects, "Role").map((o) => `${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      "gitops/gitops-controller-self",
      "apps/gitops-controller-apply",
      "monitoring/gitops-controller-apply",
    ]);
    const self = find(objects, "Role")[0] as unknown as {
      rules: { apiGroups: string[]; resources: string[] }[];
    };
    expect(self.rules).toContainEqual(
      expect.objectContaining({ apiGroups: ["coordination.k8s.io"], resources: ["leases"] }),
    );
    expect(find(objects, "RoleBinding")).toHaveLength(3);
  });

  type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };
  const rulesOf = (object: Obj | undefined) => (object as unknown as { rules: Rule[] }).rules;
  const verbsOn = (rules: Rule[], resource: string) =>
    rules
      .filter((rule) => rule.resources.includes(resource) && !rule.resourceNames)
      .flatMap((rule) => rule.verbs);

  it.each([
    ["ClusterRole mode", BASE, "ClusterRole"],
    ["allowlist mode", `${BASE}\nnamespaces: [apps]`, "Role"],
  ])("%s cannot list or watch Secrets, only get, create, patch and delete them by name", (_name, text, kind) => {
    const apply = find(build(text, "gitops"), kind).find((o) => o.metadata.name !== "gitops-controller-self");
    expect(verbsOn(rulesOf(apply), "secrets").sort()).toEqual(["create", "delete", "get", "patch"]);
  });

  it.each([
    ["ClusterRole mode", BASE, "ClusterRole"],
    ["allowlist mode", `${BASE}\nnamespaces: [apps]`, "Role"],
  ])("%s grants rbac_rules beside the built-in rules, as written", (_name, text, kind) => {
    const extra = {
      apiGroups: ["monitoring.coreos.com"],
      resources: ["prometheuses", "servicemonitors"],
      verbs: ["get", "list", "create", "patch", "delete"],
    };
    const withRules = `${text}\nrbac_rules:\n  - ${JSON.stringify(extra)}\n  - { apiGroups: [""], resources: [configmaps], resourceNames: [x], verbs: [get] }`;
    const apply = (source: string) =>
      rulesOf(find(build(source, "gitops"), kind).find((o) => o.metadata.name !== "gitops-controller-self"));
    const without = apply(text);
    expect(apply(withRules)).toEqual([
      ...without,
      extra,
      { apiGroups: [""], resources: ["configmaps"], resourceNames: ["x"], verbs: ["get"] },
    ]);
  });

  it("cannot list Namespaces in ClusterRole mode", () => {
    const clusterRole = find(build(BASE, "gitops"), "ClusterRole")[0];
    expect(verbsOn(rulesOf(clusterRole), "namespaces")).not.toContain("list");
    expect(verbsOn(rulesOf(clusterRole), "namespaces")).not.toContain("watch");
  });

  it("reads and updates only its state ConfigMap in its own namespace, not its config", () => {
    const self = find(build(BASE, "gitops"), "Role").find(
      (o) => o.metadata.name === "gitops-controller-self",
    );
    const rules = rulesOf(self);
    expect(verbsOn(rules, "configmaps")).toEqual(["create"]);
    expect(verbsOn(rules, "leases").sort()).toEqual(["create", "get", "list", "update"]);
    expect(rules.filter((rule) => rule.resourceNames).map((rule) => rule.resourceNames)).toEqual([
      ["simple-gitops-state", ...Array.from({ length: 64 }, (_, shard) => `simple-gitops-state-${shard}`)],
    ]);
  });

  it("bounds the workspace emptyDir", () => {
    const ds = find(build(BASE), "DaemonSet")[0] as unknown as {
      spec: { template: { spec: { volumes: { name: string; emptyDir?: { sizeLimit?: string } }[] } } };
    };
    for (const volume of ds.spec.template.spec.volumes.filter((v) => v.emptyDir)) {
      expect(volume.emptyDir?.sizeLimit, volume.name).toMatch(/^\d+[MG]i$/);
    }
  });

  it("changes the pod template hash when the config changes, and only then", () => {
    const hash = (text: string) =>
      (
        find(build(text), "DaemonSet")[0] as unknown as {
          spec: { template: { metadata: { annotations: Record<string, string> } } };
        }
      ).spec.template.metadata.annotations["simple-gitops.io/config-sha256"];
    expect(hash(BASE)).toBe(hash(BASE));
    expect(hash(BASE)).not.toBe(hash(`${BASE}\npoll_interval: 30`));
  });

  const installedConfig = (text: string) =>
    parseConfigYaml(
      (find(build(text), "ConfigMap")[0] as unknown as { data: Record<string, string> }).data[
        "gitops-config.yaml"
      ] ?? "",
    ) as { value: Record<string, unknown> };

  it.each([
    ["unset", BASE],
    ["configmap", `${BASE}\nstate: configmap`],
  ])("installs state: configmap when the config's state is %s, so a rescheduled pod keeps it", (_name, text) => {
    expect(installedConfig(text).value.state).toBe("configmap");
  });

  it("refuses state: file, naming the field", () => {
    expect(() => build(`${BASE}\nstate: file`)).toThrow(
      /state: "file" keeps the deployed state .* use state: configmap/,
    );
  });

  it("writes the fieldRef apiVersion the apiserver fills in, so no earlier applier holds a different value", () => {
    const ds = find(build(BASE), "DaemonSet")[0] as unknown as ReturnType<typeof daemonSet>;
    const refs = ds.spec.template.spec.containers[0]?.env.flatMap((env) =>
      "valueFrom" in env ? [env.valueFrom.fieldRef] : [],
    );
    expect(refs?.length).toBeGreaterThan(0);
    for (const ref of refs ?? []) expect(ref.apiVersion).toBe("v1");
  });

  it("gives the controller its Pod's name, namespace and uid from the downward API, for its Lease and Events", () => {
    const ds = find(build(BASE), "DaemonSet")[0] as unknown as ReturnType<typeof daemonSet>;
    const fields = Object.fromEntries(
      (ds.spec.template.spec.containers[0]?.env ?? []).flatMap((env) =>
        "valueFrom" in env ? [[env.name, env.valueFrom.fieldRef.fieldPath]] : [],
      ),
    );
    expect(fields).toMatchObject({
      POD_NAME: "metadata.name",
      POD_NAMESPACE: "metadata.namespace",
      POD_UID: "metadata.uid",
    });
  });
});

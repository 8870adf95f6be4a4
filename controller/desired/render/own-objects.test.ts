import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildInstall } from "../../../install/build-install.js";
import { parseConfig } from "../../config/load.js";
import { parseConfigYaml } from "../../config/parse-yaml.js";
import * as memberLease from "../../fleet/member-lease.js";
import { DesiredSetError } from "../errors.js";
import {
  LEASE_NAME,
  MEMBER_LEASE_LABEL,
  MEMBER_LEASE_PREFIX,
  resolveInstallNamespace,
  SERVICE_ACCOUNT_NAMESPACE_FILE,
  STATE_CONFIG_MAP_NAME,
} from "./own-names.js";
import { checkOwnObjects } from "./own-objects.js";
import { parseManifests } from "./parse.js";
import { type RenderInput, renderService } from "./render.js";
import { scopeLookup } from "./scope.js";
import type { KubeObject } from "./types.js";

const NS = "gitops";

function render(yamlText: string, overrides: Partial<RenderInput> = {}): KubeObject[] {
  return renderService({
    service: "app",
    objects: parseManifests("svc/app.yaml", yamlText).objects,
    configFiles: [],
    defaultNamespace: NS,
    stateless: false,
    installNamespace: NS,
    ...overrides,
  });
}

function refusal(run: () => unknown): DesiredSetError {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(DesiredSetError);
  return caught as DesiredSetError;
}

const deployment = (podSpec: string) => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: thief}
spec:
  selector: {matchLabels: {app: thief}}
  template:
    metadata: {labels: {app: thief}}
    spec:
${podSpec
  .trim()
  .split("\n")
  .map((line) => `      ${line}`)
  .join("\n")}
`;

const CONTAINER = "containers: [{name: c, image: busybox}]";

describe("checkOwnObjects (through renderService)", () => {
  it.each([
    {
      name: "an overwrite of the config ConfigMap",
      yaml: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: gitops-config}\ndata: {gitops-config.yaml: 'x'}\n",
      why: /ConfigMap gitops\/gitops-config: is the controller's own object/,
    },
    {
      name: "the credentials Secret",
      yaml: "apiVersion: v1\nkind: Secret\nmetadata: {name: gitops-controller-secrets}\nstringData: {GITHUB_TOKEN: x}\n",
      why: /Secret gitops\/gitops-controller-secrets: is the controller's own object/,
    },
    {
      name: "the ServiceAccount",
      yaml: "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: gitops-controller}\n",
      why: /ServiceAccount gitops\/gitops-controller: is the controller's own object/,
    },
    {
      name: "the DaemonSet",
      yaml: `apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: gitops-controller}\nspec: {selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, spec: {${CONTAINER}}}}\n`,
      why: /DaemonSet gitops\/gitops-controller: is the controller's own object/,
    },
    {
      name: "the Service",
      yaml: "apiVersion: v1\nkind: Service\nmetadata: {name: gitops-controller}\nspec: {ports: [{port: 80}]}\n",
      why: /Service gitops\/gitops-controller: is the controller's own object/,
    },
    {
      name: "the leader Lease",
      yaml: "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {name: simple-gitops-leader}\nspec: {holderIdentity: me}\n",
      why: /Lease gitops\/simple-gitops-leader: is the controller's own object/,
    },
    {
      name: "a member Lease",
      yaml: "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {name: simple-gitops-member-gitops-controller-x7k2p}\nspec: {holderIdentity: me}\n",
      why: /Lease gitops\/simple-gitops-member-gitops-controller-x7k2p: is a member Lease of the controller/,
    },
    {
      name: "a Lease of another name labelled as a member",
      yaml: "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {name: ghost, labels: {simple-gitops.io/lease: member}}\nspec: {holderIdentity: ghost}\n",
      why: /Lease gitops\/ghost: carries the label simple-gitops.io\/lease of the controller's member Leases/,
    },
    {
      name: "the state ConfigMap",
      yaml: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: simple-gitops-state}\ndata: {}\n",
      why: /ConfigMap gitops\/simple-gitops-state: is the controller's own object/,
    },
    {
      name: "a shard of the state ConfigMap",
      yaml: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: simple-gitops-state-63}\ndata: {}\n",
      why: /ConfigMap gitops\/simple-gitops-state-63: is the controller's own object/,
    },
    {
      name: "a Deployment with envFrom the Secret",
      yaml: deployment(
        "containers: [{name: c, image: busybox, envFrom: [{secretRef: {name: gitops-controller-secrets}}]}]",
      ),
      why: /Deployment gitops\/thief: reads the controller's Secret gitops-controller-secrets \(containers\[0\]\.envFrom\[0\]\.secretRef\.name\)/,
    },
    {
      name: "a Deployment with an env var from the Secret",
      yaml: deployment(
        "containers: [{name: c, image: busybox, env: [{name: T, valueFrom: {secretKeyRef: {name: gitops-controller-secrets, key: GITHUB_TOKEN}}}]}]",
      ),
      why: /reads the controller's Secret gitops-controller-secrets \(containers\[0\]\.env\[0\]\.valueFrom\.secretKeyRef\.name\)/,
    },
    {
      name: "a Deployment mounting the Secret",
      yaml: deployment(`${CONTAINER}\nvolumes: [{name: s, secret: {secretName: gitops-controller-secrets}}]`),
      why: /reads the controller's Secret gitops-controller-secrets \(volumes\[0\]\.secret\.secretName\)/,
    },
    {
      name: "a Deployment mounting the Secret through a projected volume",
      yaml: deployment(
        `${CONTAINER}\nvolumes: [{name: p, projected: {sources: [{secret: {name: gitops-controller-secrets}}]}}]`,
      ),
      why: /reads the controller's Secret gitops-controller-secrets \(volumes\[0\]\.projected\.sources\[0\]\.secret\.name\)/,
    },
    {
      name: "a Deployment running as the controller's ServiceAccount",
      yaml: deployment(`serviceAccountName: gitops-controller\n${CONTAINER}`),
      why: /Deployment gitops\/thief: runs as the controller's ServiceAccount gitops\/gitops-controller/,
    },
    {
      name: "a CronJob running as the controller's ServiceAccount",
      yaml: `apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: cron}\nspec: {schedule: "* * * * *", jobTemplate: {spec: {template: {spec: {serviceAccountName: gitops-controller, restartPolicy: Never, ${CONTAINER}}}}}}\n`,
      why: /CronJob gitops\/cron: runs as the controller's ServiceAccount/,
    },
    {
      name: "a bare Pod with the deprecated serviceAccount field",
      yaml: `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {serviceAccount: gitops-controller, ${CONTAINER}}\n`,
      why: /Pod gitops\/p: runs as the controller's ServiceAccount/,
    },
    {
      name: "a Secret the token controller would fill with the controller's token",
      yaml: "apiVersion: v1\nkind: Secret\nmetadata: {name: tok, annotations: {kubernetes.io/service-account.name: gitops-controller}}\ntype: kubernetes.io/service-account-token\n",
      why: /Secret gitops\/tok: would be filled with a token of the controller's ServiceAccount/,
    },
    {
      name: "a RoleBinding in another namespace to the controller's ServiceAccount",
      yaml: "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: more, namespace: web}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}\nsubjects: [{kind: ServiceAccount, name: gitops-controller, namespace: gitops}]\n",
      why: /RoleBinding web\/more: binds a role to the controller's ServiceAccount gitops\/gitops-controller/,
    },
    {
      name: "a ClusterRoleBinding to the controller's ServiceAccount as a User",
      yaml: "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: more}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\nsubjects: [{kind: User, name: 'system:serviceaccount:gitops:gitops-controller'}]\n",
      why: /ClusterRoleBinding more: binds a role to the controller's ServiceAccount/,
    },
    {
      name: "a Role in the controller's namespace",
      yaml: "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: reader}\nrules: [{apiGroups: [''], resources: [secrets], verbs: [get]}]\n",
      why: /Role gitops\/reader: is RBAC in the controller's own namespace gitops that rules\[0\] grants get on secrets/,
    },
    {
      name: "the controller's apply Role in an allowed namespace",
      yaml: "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: gitops-controller-apply, namespace: web}\nrules: []\n",
      why: /Role web\/gitops-controller-apply: is the controller's own RBAC/,
    },
    {
      name: "the controller's ClusterRole",
      yaml: "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: 'simple-gitops:gitops:gitops-controller'}\nrules: []\n",
      why: /ClusterRole simple-gitops:gitops:gitops-controller: is the controller's own cluster RBAC/,
    },
    {
      name: "the controller's Namespace",
      yaml: "apiVersion: v1\nkind: Namespace\nmetadata: {name: gitops}\n",
      why: /Namespace gitops: is the controller's own namespace gitops/,
    },
  ])("refuses $name, naming the file and the object", ({ yaml, why }) => {
    const error = refusal(() => render(yaml));
    expect(error.subject).toBe("svc/app.yaml");
    expect(error.reason).toMatch(why);
    expect(error.reason).toMatch(/nothing was applied$/);
  });

  it("names every refused object and every file at once", () => {
    const objects = [
      ...parseManifests("svc/a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: gitops-config}\n")
        .objects,
      ...parseManifests("svc/ok.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fine}\n").objects,
      ...parseManifests("svc/b.yaml", deployment(`serviceAccountName: gitops-controller\n${CONTAINER}`))
        .objects,
    ];
    const error = refusal(() => render("", { objects }));
    expect(error.subject).toBe("svc/a.yaml, svc/b.yaml");
    expect(error.reason).toMatch(/ConfigMap gitops\/gitops-config: .*; Deployment gitops\/thief: /);
  });

  it("still renders harmless objects in the controller's namespace", () => {
    const out = render(
      [
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-settings}\ndata: {a: b}",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: app-secrets}\nstringData: {k: v}",
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app}",
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}",
        "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {name: app-leader}",
        deployment(
          "serviceAccountName: app\ncontainers: [{name: c, image: busybox, envFrom: [{secretRef: {name: app-secrets}}]}]\nvolumes: [{name: s, secret: {secretName: app-secrets}}]",
        ),
      ].join("\n---\n"),
      { stateless: true },
    );
    expect(out.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`).sort()).toEqual([
      "ConfigMap/gitops/app-settings",
      "Deployment/gitops/thief",
      "Lease/gitops/app-leader",
      "Secret/gitops/app-secrets",
      "Service/gitops/web",
      "ServiceAccount/gitops/app",
    ]);
  });

  it("lets other namespaces use the install's names: only the controller's namespace is its own", () => {
    const out = render(
      [
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: gitops-config, namespace: web}",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: gitops-controller-secrets, namespace: web}",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: reader, namespace: web}\nrules: []",
      ].join("\n---\n"),
    );
    expect(out).toHaveLength(3);
  });

  it("guards the namespace `default` when no install namespace is given", () => {
    const error = refusal(() =>
      renderService({
        service: "app",
        objects: parseManifests(
          "svc/app.yaml",
          "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: gitops-config}\n",
        ).objects,
        configFiles: [],
        defaultNamespace: "default",
        stateless: false,
      }),
    );
    expect(error.reason).toMatch(/ConfigMap default\/gitops-config/);
  });

  it.each([
    ["with a namespace allowlist", "namespaces: [web]\n", "gitops"],
    ["with a ClusterRole", "", "gitops"],
    ["installed into default", "namespaces: [web, default]\n", "default"],
  ])("refuses every object apply-gitops installs (%s)", (_name, extra, namespace) => {
    const text = `github_configs:\n  r: {repo_owner: o, repo_name: n}\nservices:\n  - {name: app, github: r, k8s_yaml_dir: x}\n${extra}`;
    const raw = (parseConfigYaml(text) as { value: Record<string, unknown> }).value;
    const plan = buildInstall(
      parseConfig(text),
      raw,
      { namespace, clusterName: "c1", image: "img:1" },
      { env: () => undefined, file: () => undefined },
    );
    const objects = plan.objects as unknown as KubeObject[];
    // The allowed namespaces' Namespace objects are the user's to manage; every other install object is the controller's.
    const own = objects.filter((o) => !(o.kind === "Namespace" && o.metadata.name !== namespace));
    expect(own.length).toBeGreaterThan(6);
    for (const object of own) {
      expect(
        () => checkOwnObjects([object], namespace, scopeLookup([])),
        `${object.kind} ${object.metadata.name}`,
      ).toThrow(DesiredSetError);
    }
  });

  it("knows the Lease and state ConfigMap names the controller uses", () => {
    expect(readFileSync(new URL("../../loop/leader.ts", import.meta.url), "utf8")).toContain(
      `name = "${LEASE_NAME}"`,
    );
    expect(readFileSync(new URL("../../record/state/configmap.ts", import.meta.url), "utf8")).toContain(
      `name = "${STATE_CONFIG_MAP_NAME}"`,
    );
    expect([MEMBER_LEASE_PREFIX, MEMBER_LEASE_LABEL]).toEqual([
      memberLease.MEMBER_LEASE_PREFIX,
      memberLease.MEMBER_LEASE_LABEL,
    ]);
  });
});

describe("resolveInstallNamespace", () => {
  const noFile = () => {
    throw new Error("ENOENT");
  };
  it("takes POD_NAMESPACE first", () => {
    expect(resolveInstallNamespace({ POD_NAMESPACE: "gitops" }, () => "other\n")).toBe("gitops");
  });
  it("then the in-cluster service account's namespace file", () => {
    const read = (path: string) => {
      expect(path).toBe(SERVICE_ACCOUNT_NAMESPACE_FILE);
      return "ops\n";
    };
    expect(resolveInstallNamespace({}, read)).toBe("ops");
  });
  it("else default", () => {
    expect(resolveInstallNamespace({}, noFile)).toBe("default");
    expect(resolveInstallNamespace({ POD_NAMESPACE: "" }, () => "")).toBe("default");
  });
});

// Every kind that carries a pod template, in the shape (and group versions) the apiserver accepts.
const podCarriers: { kind: string; wrap: (podSpec: string) => string }[] = [
  { kind: "Pod", wrap: (spec) => `apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec: {${spec}}` },
  {
    kind: "Deployment",
    wrap: (spec) =>
      `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, spec: {${spec}}}}`,
  },
  {
    kind: "ReplicaSet",
    wrap: (spec) =>
      `apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: x}\nspec: {selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, spec: {${spec}}}}`,
  },
  {
    kind: "ReplicationController",
    wrap: (spec) =>
      `apiVersion: v1\nkind: ReplicationController\nmetadata: {name: x}\nspec: {template: {metadata: {labels: {a: b}}, spec: {${spec}}}}`,
  },
  {
    kind: "StatefulSet",
    wrap: (spec) =>
      `apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: x}\nspec: {serviceName: x, selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, spec: {${spec}}}}`,
  },
  {
    kind: "DaemonSet",
    wrap: (spec) =>
      `apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: x}\nspec: {selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, spec: {${spec}}}}`,
  },
  {
    kind: "Job",
    wrap: (spec) =>
      `apiVersion: batch/v1\nkind: Job\nmetadata: {name: x}\nspec: {template: {spec: {restartPolicy: Never, ${spec}}}}`,
  },
  {
    kind: "CronJob",
    wrap: (spec) =>
      `apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: x}\nspec: {schedule: "@daily", jobTemplate: {spec: {template: {spec: {restartPolicy: Never, ${spec}}}}}}`,
  },
];

const identities = [
  { name: "serviceAccountName", fields: "serviceAccountName: gitops-controller" },
  { name: "the deprecated serviceAccount", fields: "serviceAccount: gitops-controller" },
  {
    name: "an empty serviceAccountName over serviceAccount",
    fields: 'serviceAccountName: "", serviceAccount: gitops-controller',
  },
  {
    name: "a null serviceAccountName over serviceAccount",
    fields: "serviceAccountName: null, serviceAccount: gitops-controller",
  },
];

describe("the effective identity of every pod template in the controller's namespace", () => {
  const cases = podCarriers.flatMap(({ kind, wrap }) =>
    identities.map((identity) => ({
      kind,
      identity: identity.name,
      yaml: wrap(`${identity.fields}, ${CONTAINER}`),
    })),
  );
  it.each(cases)("refuses a $kind that runs as the controller through $identity", ({ kind, yaml }) => {
    expect(refusal(() => render(yaml)).reason).toMatch(
      new RegExp(`^${kind} gitops/x: runs as the controller's ServiceAccount gitops/gitops-controller`),
    );
  });

  it.each(
    podCarriers,
  )("lets a $kind run as its own account even when the deprecated field names the controller", ({ wrap }) => {
    expect(
      render(wrap(`serviceAccountName: app, serviceAccount: gitops-controller, ${CONTAINER}`)),
    ).toHaveLength(1);
  });

  it.each(podCarriers)("refuses a $kind whose pull secret is the controller's Secret", ({ kind, wrap }) => {
    expect(
      refusal(() => render(wrap(`imagePullSecrets: [{name: gitops-controller-secrets}], ${CONTAINER}`)))
        .reason,
    ).toMatch(
      new RegExp(
        `^${kind} gitops/x: reads the controller's Secret gitops-controller-secrets \\(imagePullSecrets\\[0\\]\\.name\\)`,
      ),
    );
  });

  it("judges a pod in another namespace by that namespace, not the default one", () => {
    const yaml = `apiVersion: v1\nkind: Pod\nmetadata: {name: x, namespace: web}\nspec: {serviceAccount: gitops-controller, ${CONTAINER}}`;
    expect(render(yaml)).toHaveLength(1);
    expect(
      refusal(() => render(yaml.replace("namespace: web", "namespace: gitops"), { defaultNamespace: "web" }))
        .code,
    ).toBe("E_OWN_OBJECT");
  });
});

const rbac = "rbac.authorization.k8s.io/v1";
const role = (name: string, rules: string, kind = "Role") =>
  `apiVersion: ${rbac}\nkind: ${kind}\nmetadata: {name: ${name}}\nrules: ${rules}`;
const binding = (name: string, roleRef: string, subjects: string, kind = "RoleBinding", ns = "") =>
  `apiVersion: ${rbac}\nkind: ${kind}\nmetadata: {name: ${name}${ns ? `, namespace: ${ns}` : ""}}\nroleRef: {apiGroup: rbac.authorization.k8s.io, ${roleRef}}\nsubjects: ${subjects}`;
const READ_ONLY = "[{apiGroups: [''], resources: [pods, services, endpoints], verbs: [get, list, watch]}]";
const READS_SECRETS = "[{apiGroups: [''], resources: [secrets], verbs: [get, list]}]";
const APP_SA = "[{kind: ServiceAccount, name: prometheus}]";

describe("RBAC in the controller's namespace: refused when it could reach the controller, applied otherwise", () => {
  it("applies a real stack's read-only Role and its RoleBinding", () => {
    const out = render(
      [role("prometheus", READ_ONLY), binding("prometheus", "kind: Role, name: prometheus", APP_SA)].join(
        "\n---\n",
      ),
    );
    expect(out.map((o) => o.kind).sort()).toEqual(["Role", "RoleBinding"]);
  });

  it.each([
    {
      name: "a Role that reads Secrets",
      yaml: role("r", READS_SECRETS),
      why: /Role gitops\/r: is RBAC .* rules\[0\] grants get,list on secrets/,
    },
    {
      name: "a RoleBinding to a Secret-reading Role of the set",
      yaml: [
        role("r", READS_SECRETS, "ClusterRole"),
        binding("b", "kind: ClusterRole, name: r", APP_SA),
      ].join("\n---\n"),
      why: /RoleBinding gitops\/b: grants ClusterRole r in the controller's own namespace gitops, and that role rules\[0\] grants get,list on secrets/,
    },
    {
      name: "a RoleBinding to a role the set does not hold",
      yaml: binding("b", "kind: ClusterRole, name: edit", APP_SA),
      why: /RoleBinding gitops\/b: grants ClusterRole edit .* is not in this set, so what it grants cannot be checked/,
    },
    {
      name: "a RoleBinding to an aggregated ClusterRole",
      yaml: [
        `apiVersion: ${rbac}\nkind: ClusterRole\nmetadata: {name: agg}\naggregationRule: {clusterRoleSelectors: [{matchLabels: {x: y}}]}\nrules: []`,
        binding("b", "kind: ClusterRole, name: agg", APP_SA),
      ].join("\n---\n"),
      why: /aggregates other ClusterRoles/,
    },
    {
      name: "a RoleBinding for a ServiceAccount of another namespace to a pod-making Role",
      yaml: [
        role("deployer", "[{apiGroups: [apps], resources: [deployments], verbs: [create, patch]}]"),
        binding("b", "kind: Role, name: deployer", "[{kind: ServiceAccount, name: ci, namespace: web}]"),
      ].join("\n---\n"),
      why: /RoleBinding gitops\/b: grants Role deployer .* create,patch on deployments\.apps/,
    },
  ])("refuses $name", ({ yaml, why }) => {
    const error = refusal(() => render(yaml));
    expect(error.code).toBe("E_OWN_OBJECT");
    expect(error.reason).toMatch(why);
  });

  it("checks a RoleBinding against the Role of its own namespace, not one of the same name elsewhere", () => {
    const yaml = [
      `${role("r", READ_ONLY)}`.replace("{name: r}", "{name: r, namespace: web}"),
      binding("b", "kind: Role, name: r", APP_SA),
    ].join("\n---\n");
    expect(refusal(() => render(yaml)).reason).toMatch(
      /grants Role r in the controller.s own namespace gitops, and that role is not in this set/,
    );
  });
});

describe("bindings by membership: every subject that contains the controller's ServiceAccount", () => {
  const groups = ["system:serviceaccounts:gitops", "system:serviceaccounts", "system:authenticated"];
  it.each(
    groups.flatMap((group) => [
      {
        group,
        kind: "ClusterRoleBinding",
        ns: "",
        roleRef: "kind: ClusterRole, name: cluster-admin",
        extra: "",
        why: /is not in this set/,
      },
      {
        group,
        kind: "ClusterRoleBinding",
        ns: "",
        roleRef: "kind: ClusterRole, name: r",
        extra: role("r", READS_SECRETS, "ClusterRole"),
        why: /grants get,list on secrets/,
      },
      {
        group,
        kind: "RoleBinding",
        ns: "web",
        roleRef: "kind: ClusterRole, name: r",
        extra: role("r", "[{apiGroups: [batch], resources: [jobs], verbs: ['*']}]", "ClusterRole"),
        why: /every verb/,
      },
    ]),
  )("refuses a $kind of group $group to a role that reaches ($roleRef)", ({
    group,
    kind,
    ns,
    roleRef,
    extra,
    why,
  }) => {
    const yaml = [
      extra,
      binding(
        "b",
        roleRef,
        `[{kind: Group, apiGroup: rbac.authorization.k8s.io, name: '${group}'}]`,
        kind,
        ns,
      ),
    ]
      .filter(Boolean)
      .join("\n---\n");
    const error = refusal(() => render(yaml));
    expect(error.reason).toMatch(
      new RegExp(`binds ClusterRole \\S+ to group ${group}, which contains the controller's ServiceAccount`),
    );
    expect(error.reason).toMatch(why);
  });

  it.each(groups)("applies a binding of %s to a read-only ClusterRole of the set", (group) => {
    const yaml = [
      role("r", READ_ONLY, "ClusterRole"),
      binding(
        "b",
        "kind: ClusterRole, name: r",
        `[{kind: Group, apiGroup: rbac.authorization.k8s.io, name: '${group}'}]`,
        "ClusterRoleBinding",
      ),
    ].join("\n---\n");
    expect(render(yaml)).toHaveLength(2);
  });

  it.each([
    {
      name: "a ServiceAccount subject",
      subjects: "[{kind: ServiceAccount, name: gitops-controller, namespace: gitops}]",
    },
    {
      name: "a ServiceAccount subject that takes the binding's namespace",
      subjects: "[{kind: ServiceAccount, name: gitops-controller}]",
      ns: "gitops",
    },
    {
      name: "the User form",
      subjects: "[{kind: User, name: 'system:serviceaccount:gitops:gitops-controller'}]",
    },
  ])("refuses $name even to a read-only role", ({ subjects, ns }) => {
    const yaml = [
      role("r", READ_ONLY, "ClusterRole"),
      binding("b", "kind: ClusterRole, name: r", subjects, "RoleBinding", ns ?? "web"),
    ].join("\n---\n");
    expect(refusal(() => render(yaml)).reason).toMatch(
      /binds a role to the controller's ServiceAccount gitops\/gitops-controller/,
    );
  });

  it("applies a binding of another namespace's ServiceAccounts group", () => {
    const yaml = binding(
      "b",
      "kind: ClusterRole, name: edit",
      "[{kind: Group, name: 'system:serviceaccounts:web'}]",
      "RoleBinding",
      "web",
    );
    expect(render(yaml)).toHaveLength(1);
  });
});

describe("scope comes from the built-in table first", () => {
  const shadowCrd = (group: string, kind: string, scope: string) =>
    `apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: shadow${kind.toLowerCase()}s.${group}, annotations: {api-approved.kubernetes.io: "https://x"}}\nspec: {group: ${group}, scope: ${scope}, names: {kind: ${kind}, plural: shadow${kind.toLowerCase()}s}, versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]}`;

  it.each([
    { group: "rbac.authorization.k8s.io", kind: "RoleBinding" },
    { group: "rbac.authorization.k8s.io", kind: "Role" },
    { group: "apps", kind: "Deployment" },
    { group: "batch", kind: "CronJob" },
    { group: "coordination.k8s.io", kind: "Lease" },
    { group: "networking.k8s.io", kind: "NetworkPolicy" },
    { group: "policy", kind: "Anything" },
  ])("refuses a CustomResourceDefinition in built-in group $group (kind $kind)", ({ group, kind }) => {
    const yaml = [
      shadowCrd(group, kind, "Cluster"),
      binding("b", "kind: ClusterRole, name: r", "[{kind: ServiceAccount, name: x}]"),
    ].join("\n---\n");
    const error = refusal(() => render(yaml, { installNamespace: "elsewhere" }));
    expect(error.code).toBe("E_CRD_RESERVED_GROUP");
    expect(error.reason).toMatch(
      new RegExp(
        `declares a kind in API group ${group.replaceAll(".", "\\.")}, which Kubernetes serves itself`,
      ),
    );
  });

  it("applies CustomResourceDefinitions of add-on groups under k8s.io", () => {
    const out = render(
      [
        shadowCrd("gateway.networking.k8s.io", "Gateway", "Namespaced"),
        shadowCrd("snapshot.storage.k8s.io", "VolumeSnapshot", "Namespaced"),
      ].join("\n---\n"),
    );
    expect(out).toHaveLength(2);
  });

  it("keeps a built-in kind's scope whatever discovery or a CRD says, so the own-namespace rules still apply", () => {
    const lookup = scopeLookup([], { cluster: ["rbac.authorization.k8s.io/RoleBinding", "apps/Deployment"] });
    expect(lookup({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding" })).toBe("Namespaced");
    expect(lookup({ apiVersion: "apps/v1", kind: "Deployment" })).toBe("Namespaced");
    const error = refusal(() =>
      render(binding("b", "kind: ClusterRole, name: edit", APP_SA), {
        clusterScopedKinds: ["rbac.authorization.k8s.io/RoleBinding"],
      }),
    );
    expect(error.reason).toMatch(
      /RoleBinding gitops\/b: grants ClusterRole edit in the controller's own namespace/,
    );
  });
});

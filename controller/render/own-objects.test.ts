import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildInstall } from "../../install/build-install.js";
import { parseConfig } from "../config/load.js";
import { parseConfigYaml } from "../config/parse-yaml.js";
import { RenderError } from "./errors.js";
import {
  checkOwnObjects,
  LEASE_NAME,
  resolveInstallNamespace,
  SERVICE_ACCOUNT_NAMESPACE_FILE,
  STATE_CONFIG_MAP_NAME,
} from "./own-objects.js";
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

function refusal(run: () => unknown): RenderError {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(RenderError);
  return caught as RenderError;
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
      name: "the state ConfigMap",
      yaml: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: simple-gitops-state}\ndata: {}\n",
      why: /ConfigMap gitops\/simple-gitops-state: is the controller's own object/,
    },
    {
      name: "a Deployment with envFrom the Secret",
      yaml: deployment(
        "containers: [{name: c, image: busybox, envFrom: [{secretRef: {name: gitops-controller-secrets}}]}]",
      ),
      why: /Deployment gitops\/thief: reads the controller's Secret gitops-controller-secrets \(envFrom in container c\)/,
    },
    {
      name: "a Deployment with an env var from the Secret",
      yaml: deployment(
        "containers: [{name: c, image: busybox, env: [{name: T, valueFrom: {secretKeyRef: {name: gitops-controller-secrets, key: GITHUB_TOKEN}}}]}]",
      ),
      why: /reads the controller's Secret gitops-controller-secrets \(env in container c\)/,
    },
    {
      name: "a Deployment mounting the Secret",
      yaml: deployment(`${CONTAINER}\nvolumes: [{name: s, secret: {secretName: gitops-controller-secrets}}]`),
      why: /mounts the controller's Secret gitops-controller-secrets \(volume s\)/,
    },
    {
      name: "a Deployment mounting the Secret through a projected volume",
      yaml: deployment(
        `${CONTAINER}\nvolumes: [{name: p, projected: {sources: [{secret: {name: gitops-controller-secrets}}]}}]`,
      ),
      why: /mounts the controller's Secret gitops-controller-secrets \(projected volume p\)/,
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
      why: /Role gitops\/reader: RBAC in the controller's own namespace gitops/,
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
      ).toThrow(RenderError);
    }
  });

  it("knows the Lease and state ConfigMap names the controller uses", () => {
    expect(readFileSync(new URL("../leader.ts", import.meta.url), "utf8")).toContain(
      `name = "${LEASE_NAME}"`,
    );
    expect(readFileSync(new URL("../state/configmap.ts", import.meta.url), "utf8")).toContain(
      `name = "${STATE_CONFIG_MAP_NAME}"`,
    );
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

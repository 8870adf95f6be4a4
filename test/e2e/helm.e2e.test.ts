import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { KubeObject } from "../../kube/objects.js";
import { createGitHubWorld, type GitHubWorld } from "../github-server/harness.js";
import { createTestNamespace, kubeconfigPath, kubectlJson, type TestNamespace, waitFor } from "./cluster.js";
import { startController } from "./controller-process.js";

// A service whose kustomization renders a chart of its own repository, through the GitHub test server and a real
// controller process on the test cluster, which finds the pinned helm where scripts/helm.sh caches it (the e2e
// setup builds it there). What lands is compared with `helm template` of the same chart and values.

const TOKEN = "t0ken";
const MANAGED = "app.kubernetes.io/managed-by=simple-gitops";

let world: GitHubWorld;
let ns: TestNamespace;
let helmHome: string;
beforeAll(async () => {
  world = await createGitHubWorld();
  ns = await createTestNamespace("helm");
  helmHome = await mkdtemp(join(tmpdir(), "helm-e2e-"));
});
afterAll(async () => {
  await world?.close();
  await ns?.cleanup();
  await rm(helmHome, { recursive: true, force: true });
});

const CHART = {
  "app/charts/web/Chart.yaml": 'apiVersion: v2\nname: web\nversion: 0.1.0\nkubeVersion: ">=1.25.0-0"\n',
  "app/charts/web/values.yaml": "replicas: 1\nimage: nginx:1.27\nport: 80\n",
  "app/charts/web/templates/_helpers.tpl": '{{- define "web.name" -}}{{ .Release.Name }}-web{{- end -}}\n',
  "app/charts/web/templates/deployment.yaml": [
    "apiVersion: apps/v1",
    "kind: Deployment",
    'metadata: { name: {{ include "web.name" . }}, labels: { app: {{ include "web.name" . }} } }',
    "spec:",
    "  replicas: {{ .Values.replicas }}",
    '  selector: { matchLabels: { app: {{ include "web.name" . }} } }',
    "  template:",
    '    metadata: { labels: { app: {{ include "web.name" . }} } }',
    "    spec:",
    "      containers:",
    "        - name: web",
    "          image: {{ .Values.image | quote }}",
    "          ports: [{ containerPort: {{ .Values.port }} }]",
    "",
  ].join("\n"),
  "app/charts/web/templates/service.yaml": [
    "apiVersion: v1",
    "kind: Service",
    'metadata: { name: {{ include "web.name" . }} }',
    'spec: { selector: { app: {{ include "web.name" . }} }, ports: [{ port: {{ .Values.port }} }] }',
    "",
  ].join("\n"),
  "app/charts/web/templates/tests/connection.yaml":
    'apiVersion: v1\nkind: Pod\nmetadata: { name: {{ include "web.name" . }}-test, annotations: { "helm.sh/hook": test } }\nspec: { containers: [{ name: t, image: busybox }] }\n',
  "app/values-prod.yaml": "replicas: 2\n",
  "app/kustomization.yaml": [
    "helmCharts:",
    "  - name: web",
    "    releaseName: shop",
    "    valuesFile: values-prod.yaml",
    "    valuesInline: { image: nginx:1.28 }",
    "    skipTests: true",
    "",
  ].join("\n"),
};

describe("a kustomization's local Helm chart, through a real controller process", () => {
  it("lands what helm template renders for the chart and its values, its Deployment available", async () => {
    const suffix = randomBytes(3).toString("hex");
    const service = `shop-${suffix}`;
    const repo = await world.addRepo("org", `helm-${suffix}`, TOKEN);
    const commit = await repo.commit(CHART);
    const env: Record<string, string> = {
      KUBECONFIG: kubeconfigPath(),
      GH_TOKEN: TOKEN,
      PATH: process.env.PATH ?? "",
      // Where the controller looks for the cached helm when helm_bin is not set, as a checkout's user has them.
      ...(process.env.HOME ? { HOME: process.env.HOME } : {}),
      ...(process.env.XDG_CACHE_HOME ? { XDG_CACHE_HOME: process.env.XDG_CACHE_HOME } : {}),
    };
    const controller = await startController(
      `
github_configs:
  gitops: { repo_owner: org, repo_name: helm-${suffix}, token_env: GH_TOKEN, api_url: "${world.server.url}" }
services:
  - { name: ${service}, github: gitops, k8s_yaml_dir: app, namespace: ${ns.name}, stateless: false }
poll_interval: 1s
listen: "127.0.0.1:0"
health_timeout: 90s
`,
      env,
    );
    try {
      const view = await waitFor(
        async () => {
          const answer = (await (await fetch(`${controller.url}/v1/gitops/services/${service}`)).json()) as {
            state: string;
            last_commit_id: string;
          };
          return answer.state === "deployed" && answer.last_commit_id === commit ? answer : undefined;
        },
        {
          timeoutMs: 90_000,
          what: `${service} to land ${commit.slice(0, 12)}`,
          describe: async () => (await fetch(`${controller.url}/v1/gitops/services/${service}`)).text(),
        },
      );
      expect(view.state).toBe("deployed");

      const { stdout } = await execa(
        inject("helm"),
        [
          "template",
          "shop",
          `${repo.dir}/app/charts/web`,
          "-f",
          `${repo.dir}/app/values-prod.yaml`,
          "--set",
          "image=nginx:1.28",
          "--skip-tests",
        ],
        { env: { HELM_CONFIG_HOME: helmHome, HELM_CACHE_HOME: helmHome, HELM_DATA_HOME: helmHome } },
      );
      const rendered = (yaml.loadAll(stdout) as (KubeObject | null)[]).filter(
        (o): o is KubeObject => o !== null,
      );
      const live = await kubectlJson<{ items: KubeObject[] }>([
        "-n",
        ns.name,
        "get",
        "deployments,services,pods,configmaps",
        "-l",
        MANAGED,
      ]);
      const name = (o: KubeObject) => `${o.kind}/${o.metadata.name}`;
      expect(live.items.map(name).sort()).toEqual(rendered.map(name).sort());
      for (const object of rendered) {
        const found = live.items.find((o) => name(o) === name(object));
        expect(found).toMatchObject({ ...object, metadata: { ...object.metadata, namespace: ns.name } });
        expect(found?.metadata.annotations?.["simple-gitops.io/source-path"]).toBe("app/kustomization.yaml");
      }

      // Landed means healthy: the controller waited for the rollout, and the cluster says so.
      const deployment = await kubectlJson<{
        spec: { replicas: number };
        status: { availableReplicas?: number };
      }>(["-n", ns.name, "get", "deployment", "shop-web"]);
      expect(deployment.spec.replicas).toBe(2);
      expect(deployment.status.availableReplicas).toBe(deployment.spec.replicas);
    } finally {
      controller.process.kill("SIGKILL");
    }
  });
});

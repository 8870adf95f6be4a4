import { randomBytes } from "node:crypto";
import { execa } from "execa";
import yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KubeObject } from "../../kube/objects.js";
import type { GitRepo } from "../github-server/git-repo.js";
import { createGitHubWorld, type GitHubWorld } from "../github-server/harness.js";
import { webDeployment } from "../kustomize-support.js";
import { createTestNamespace, kubeconfigPath, kubectlJson, type TestNamespace, waitFor } from "./cluster.js";
import { type ControllerProcess, startController } from "./controller-process.js";

// Kustomize overlays as users lay them out (base/ + overlays/dev + overlays/prod, one overlay per service), through
// the GitHub test server and a real controller process on the test cluster. What lands is compared with what
// `kubectl kustomize` builds from a checkout of the same commit (the test repository's own work tree).

const TOKEN = "t0ken";
const MANAGED = "app.kubernetes.io/managed-by=simple-gitops";
const SOURCE_PATH = "simple-gitops.io/source-path";
const REMOTE_BASE = "https://github.com/example/shared//deploy?ref=v1";

let world: GitHubWorld;
const namespaces: TestNamespace[] = [];
beforeAll(async () => {
  world = await createGitHubWorld();
});
afterAll(async () => {
  await world?.close();
  await Promise.all(namespaces.map((ns) => ns.cleanup()));
});

async function namespace(prefix: string): Promise<TestNamespace> {
  const ns = await createTestNamespace(prefix);
  namespaces.push(ns);
  return ns;
}

const env = () => ({ KUBECONFIG: kubeconfigPath(), GH_TOKEN: TOKEN, PATH: process.env.PATH ?? "" });

const deployment = (image: string) => webDeployment(image, "settings");

/** overlayFiles is one overlay of the base: a replicas patch, and a generated ConfigMap from a file and a literal. */
const overlayFiles = (name: string, replicas: number, color: string) => ({
  [`overlays/${name}/kustomization.yaml`]: [
    "resources: [../../base]",
    "patches: [{ path: replicas.yaml }]",
    "configMapGenerator:",
    "  - name: settings",
    "    files: [app.properties]",
    `    literals: [REPLICAS=${replicas}]`,
  ].join("\n"),
  [`overlays/${name}/replicas.yaml`]: `apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web }\nspec: { replicas: ${replicas} }\n`,
  [`overlays/${name}/app.properties`]: `color=${color}\n`,
});

/** built is what `kubectl kustomize` builds for a directory of the repository's work tree (its head). */
async function built(repo: GitRepo, dir: string): Promise<KubeObject[]> {
  const { stdout } = await execa("kubectl", ["kustomize", `${repo.dir}/${dir}`]);
  return yaml.loadAll(stdout) as KubeObject[];
}

interface ServiceView {
  state: "deployed" | "failed" | "pending";
  last_commit_id: string;
  last_error: { message: string; code: string } | null;
}

const serviceView = async (controller: ControllerProcess, name: string) =>
  (await (await fetch(`${controller.url}/v1/gitops/services/${name}`)).json()) as ServiceView;

/** live lists the managed objects of the kinds a build holds in a namespace, as `Kind/name`. */
async function liveNames(ns: string): Promise<string[]> {
  const list = await kubectlJson<{ items: KubeObject[] }>([
    "-n",
    ns,
    "get",
    "deployments,services,configmaps",
    "-l",
    MANAGED,
  ]);
  return list.items.map((o) => `${o.kind}/${o.metadata.name}`).sort();
}

/**
 * expectLandedAsBuilt checks that the namespace holds exactly the objects the build holds, each with every field
 * the build gave it (the server adds defaults and status, the controller its labels), attributed to the overlay's
 * kustomization file.
 */
async function expectLandedAsBuilt(repo: GitRepo, dir: string, ns: string): Promise<KubeObject[]> {
  const objects = await built(repo, dir);
  expect(await liveNames(ns)).toEqual(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort());
  for (const object of objects) {
    const live = await kubectlJson<KubeObject>(["-n", ns, "get", object.kind, object.metadata.name]);
    expect(live).toMatchObject({ ...object, metadata: { ...object.metadata, namespace: ns } });
    expect(live.metadata.annotations?.[SOURCE_PATH]).toBe(`${dir}/kustomization.yaml`);
  }
  return objects;
}

describe("kustomize overlays, through a real controller process", () => {
  it("applies exactly what kubectl kustomize builds for each overlay, re-syncs both when the base changes, and refuses a remote base", async () => {
    const suffix = randomBytes(3).toString("hex");
    const [devNs, prodNs, remoteNs] = await Promise.all([
      namespace("kustomize-dev"),
      namespace("kustomize-prod"),
      namespace("kustomize-remote"),
    ]);
    const services = { dev: `dev-${suffix}`, prod: `prod-${suffix}`, remote: `remote-${suffix}` };
    const repo = await world.addRepo("org", `kustomize-${suffix}`, TOKEN);
    const first = await repo.commit({
      "base/kustomization.yaml": "resources: [deploy.yaml, service.yaml]\n",
      "base/deploy.yaml": deployment("nginx:1.27"),
      "base/service.yaml":
        "apiVersion: v1\nkind: Service\nmetadata: { name: web }\nspec: { selector: { app: web }, ports: [{ port: 80 }] }\n",
      ...overlayFiles("dev", 2, "blue"),
      ...overlayFiles("prod", 3, "red"),
      "overlays/remote/kustomization.yaml": `resources: [../../base, "${REMOTE_BASE}"]\n`,
      "unrelated/notes.yaml": "not: part of any service\n",
    });
    const controller = await startController(
      `
github_configs:
  gitops: { repo_owner: org, repo_name: kustomize-${suffix}, token_env: GH_TOKEN, api_url: "${world.server.url}" }
services:
  - { name: ${services.dev}, github: gitops, k8s_yaml_dir: overlays/dev, namespace: ${devNs.name}, stateless: false }
  - { name: ${services.prod}, github: gitops, k8s_yaml_dir: overlays/prod, namespace: ${prodNs.name}, stateless: false }
  - { name: ${services.remote}, github: gitops, k8s_yaml_dir: overlays/remote, namespace: ${remoteNs.name}, stateless: false }
poll_interval: 1s
listen: "127.0.0.1:0"
applyers: [kubectl]
health_timeout: 60s
`,
      env(),
    );
    try {
      const landedAt = (service: string, commit: string) =>
        waitFor(
          async () => {
            const view = await serviceView(controller, service);
            return view.state === "deployed" && view.last_commit_id === commit ? view : undefined;
          },
          {
            timeoutMs: 90_000,
            what: `${service} to land ${commit.slice(0, 12)}`,
            describe: async () => JSON.stringify(await serviceView(controller, service)),
          },
        );
      await Promise.all([landedAt(services.dev, first), landedAt(services.prod, first)]);
      const dev = await expectLandedAsBuilt(repo, "overlays/dev", devNs.name);
      const prod = await expectLandedAsBuilt(repo, "overlays/prod", prodNs.name);
      // Each overlay's patch and generator made it: replicas, and a hashed ConfigMap the Deployment refers to.
      const replicas = (objects: KubeObject[]) =>
        (objects.find((o) => o.kind === "Deployment")?.spec as { replicas: number }).replicas;
      expect([replicas(dev), replicas(prod)]).toEqual([2, 3]);
      expect(dev.find((o) => o.kind === "ConfigMap")?.metadata.name).toMatch(/^settings-[a-z0-9]{10}$/);

      // The remote base is refused with an error naming it and the switch; nothing of that service was applied.
      const remote = await waitFor(
        async () => {
          const view = await serviceView(controller, services.remote);
          return view.state === "failed" ? view : undefined;
        },
        { timeoutMs: 30_000, what: `${services.remote} to fail` },
      );
      expect(remote.last_error?.code).toBe("E_KUSTOMIZE_REMOTE");
      expect(remote.last_error?.message).toContain(
        `overlays/remote/kustomization.yaml: resources[1]: ${REMOTE_BASE}`,
      );
      expect(remote.last_error?.message).toContain("allow_remote_bases: true");
      expect(await liveNames(remoteNs.name)).toEqual([]);

      // A change in the base only: both overlays using it sync the new head and land its build.
      const second = await repo.commit({
        "base/kustomization.yaml": "resources: [deploy.yaml, service.yaml, extra.yaml]\n",
        "base/deploy.yaml": deployment("nginx:1.28"),
        "base/extra.yaml":
          "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: extra }\ndata: { from: base }\n",
      });
      await Promise.all([landedAt(services.dev, second), landedAt(services.prod, second)]);
      for (const [dir, ns] of [
        ["overlays/dev", devNs.name],
        ["overlays/prod", prodNs.name],
      ] as const) {
        const objects = await expectLandedAsBuilt(repo, dir, ns);
        expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toContain("ConfigMap/extra");
        const image = (
          objects.find((o) => o.kind === "Deployment")?.spec as {
            template: { spec: { containers: { image: string }[] } };
          }
        ).template.spec.containers[0]?.image;
        expect(image).toBe("nginx:1.28");
      }
    } finally {
      controller.process.kill("SIGKILL");
    }
  });
});

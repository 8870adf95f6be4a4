import { randomBytes } from "node:crypto";
import yaml from "js-yaml";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { createEventRecorder } from "../../controller/report/events/event-recorder.js";
import { createKubeRequest } from "../../kube/http.js";
import { loadKubeConfigFiles } from "../../kube/kubeconfig.js";
import { kubeconfigPath, kubectl, kubectlJson } from "./cluster.js";
import {
  installedControllerWorkspace,
  installWithoutPods,
  runOnce,
  serviceAccountKubeconfig,
} from "./installed-controller.js";

// Issue 30, state Kubernetes can show: a service's objects selected by label, each with the commit applied, and
// Events on the controller's own Pod, written under the installed ServiceAccount's RBAC.

const TOKEN = "t0ken";
const SERVICE_LABEL = "simple-gitops.io/service";
const unique = () => randomBytes(3).toString("hex");

const space = installedControllerWorkspace("kubernetes-state-e2e-");

interface LiveEvent {
  metadata: { name: string; labels?: Record<string, string> };
  involvedObject: { kind: string; name: string; namespace: string; uid?: string };
  reason: string;
  type: string;
  message: string;
  count: number;
}

const eventsOf = async (ns: string, reason: string) =>
  (
    await kubectlJson<{ items: LiveEvent[] }>([
      ...["-n", ns, "get", "events", "--field-selector", `reason=${reason}`],
    ])
  ).items;

/** controllerPod creates the Pod the controller's Events are about, as the installed DaemonSet's pod would be. */
async function controllerPod(ns: string): Promise<{ name: string; uid: string }> {
  const name = `gitops-controller-${unique()}`;
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name },
    spec: { containers: [{ name: "c", image: "busybox:1.36" }] },
  };
  await kubectl(["-n", ns, "apply", "-f", "-"], { input: JSON.stringify(pod) });
  const live = await kubectlJson<{ metadata: { uid: string } }>(["-n", ns, "get", "pod", name]);
  return { name, uid: live.metadata.uid };
}

const configMap = (name: string) =>
  yaml.dump({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data: { a: "b" } });

describe("state Kubernetes can show", () => {
  it("lists exactly a service's objects by label, each with the commit applied, and records SyncFailed for a broken push on the controller's Pod", async () => {
    const installNs = await space.namespace("state-install");
    const appsNs = await space.namespace("state-apps");
    const repoName = `state-${unique()}`;
    const repo = await space.world.addRepo("org", repoName, TOKEN);
    const config = `
github_configs:
  gitops: { repo_owner: org, repo_name: ${repoName}, token_env: GH_TOKEN, api_url: "${space.world.server.url}" }
services:
  - { name: web, github: gitops, k8s_yaml_dir: web, namespace: ${appsNs}, stateless: false }
  - { name: api, github: gitops, k8s_yaml_dir: api, namespace: ${appsNs}, stateless: false }
namespaces: [${appsNs}]
poll_interval: 1h
listen: "127.0.0.1:0"
applyers: [api]
health_timeout: 0
`;
    await installWithoutPods(config, installNs, space.work, { GH_TOKEN: TOKEN });
    const pod = await controllerPod(installNs);
    const good = await repo.commit({
      "web/config.yaml": configMap("web-settings"),
      "web/settings.json": '{"port": 8080}',
      "web/service.yaml": yaml.dump({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "web" },
        spec: { selector: { app: "web" }, ports: [{ port: 80 }] },
      }),
      "api/config.yaml": configMap("api-settings"),
    });
    const env = {
      KUBECONFIG: await serviceAccountKubeconfig(installNs, space.work),
      GH_TOKEN: TOKEN,
      POD_NAME: pod.name,
      POD_NAMESPACE: installNs,
      POD_UID: pod.uid,
    };

    const landed = await runOnce(config, env);
    expect(landed.exitCode, landed.stderr.slice(-3000)).toBe(0);
    const selected = async (service: string) =>
      (
        await kubectl([
          ...["-n", appsNs, "get", "configmaps,secrets,services,deployments", "-o", "name"],
          ...["-l", `${SERVICE_LABEL}=${service}`],
        ])
      )
        .split("\n")
        .sort();
    expect(await selected("web")).toEqual(["configmap/web-config", "configmap/web-settings", "service/web"]);
    expect(await selected("api")).toEqual(["configmap/api-settings"]);
    const live = await kubectlJson<{ items: { metadata: { annotations?: Record<string, string> } }[] }>([
      ...["-n", appsNs, "get", "configmaps,services", "-l", SERVICE_LABEL],
    ]);
    expect(live.items.map((object) => object.metadata.annotations?.["simple-gitops.io/commit"])).toEqual(
      live.items.map(() => good),
    );
    const succeeded = await eventsOf(installNs, "SyncSucceeded");
    expect(succeeded.map((event) => event.metadata.labels?.[SERVICE_LABEL]).sort()).toEqual(["api", "web"]);

    const broken = await repo.commit({
      "web/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: [\n",
    });
    const failed = await runOnce(config, env);
    expect(failed.exitCode, failed.stderr.slice(-3000)).toBe(1);
    const [event, ...more] = await eventsOf(installNs, "SyncFailed");
    expect(more).toEqual([]);
    expect(event).toMatchObject({
      type: "Warning",
      involvedObject: { kind: "Pod", name: pod.name, namespace: installNs, uid: pod.uid },
      metadata: { labels: { [SERVICE_LABEL]: "web" } },
      count: 1,
    });
    expect(event?.message).toContain(`service web: commit ${broken.slice(0, 12)} failed`);
    expect(event?.message).toContain("web/config.yaml");
    expect(await kubectl(["-n", installNs, "get", "events"])).toMatch(/SyncFailed\s+pod\/gitops-controller-/);
    expect(await kubectl(["-n", installNs, "describe", "pod", pod.name])).toContain("SyncFailed");
    // What failed left the cluster as it was: the label still selects the landed set.
    expect(await selected("web")).toEqual(["configmap/web-config", "configmap/web-settings", "service/web"]);
  }, 240_000);

  it("counts a repeated Event on the one it wrote, and writes it anew, counted, when it is gone", async () => {
    const ns = await space.namespace("state-events");
    const pod = await controllerPod(ns);
    const recorder = createEventRecorder({
      request: createKubeRequest(loadKubeConfigFiles([kubeconfigPath()])),
      pod: { name: pod.name, namespace: ns },
      clock: { now: () => Date.now(), monotonic: () => performance.now(), sleep: async () => undefined },
      log: pino({ level: "silent" }),
    });
    for (let i = 0; i < 3; i++)
      recorder.emit("Pruned", "web", "deleted 1 object(s) removed from git: ConfigMap x");
    await recorder.idle();
    const [first, ...others] = await eventsOf(ns, "Pruned");
    expect(others).toEqual([]);
    // Read from the apiserver without being given: the admin may read the Pod.
    expect(first).toMatchObject({ count: 3, involvedObject: { name: pod.name, uid: pod.uid } });

    await kubectl(["-n", ns, "delete", "event", first?.metadata.name ?? ""]);
    recorder.emit("Pruned", "web", "deleted 1 object(s) removed from git: ConfigMap x");
    await recorder.idle();
    const [again] = await eventsOf(ns, "Pruned");
    expect(again).toMatchObject({ count: 4, metadata: { name: first?.metadata.name } });
  });
});

import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Applyer } from "../../applyers/applyer.js";
import { createKubeApiApplyer, createKubeObjectReader } from "../../applyers/kube-api.js";
import { createKubectlApplyer } from "../../applyers/kubectl.js";
import { waitForHealthy } from "../../controller/health/health.js";
import { createKubeRequest } from "../../kube/http.js";
import { loadKubeConfigFiles } from "../../kube/kubeconfig.js";
import type { KubeObject } from "../../kube/objects.js";
import { createTestNamespace, kubeconfigPath, kubectl, kubectlJson, type TestNamespace } from "./cluster.js";

const log = pino({ level: "silent" });

function manifests(ns: string, opts: { value?: string; port?: number } = {}): KubeObject[] {
  return [
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "settings", namespace: ns },
      data: { value: opts.value ?? "1" },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web", namespace: ns },
      spec: { selector: { app: "web" }, ports: [{ port: opts.port ?? 80 }] },
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: ns },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: "web" } },
        template: {
          metadata: { labels: { app: "web" } },
          spec: { containers: [{ name: "web", image: "nginx:1.27" }] },
        },
      },
    },
  ];
}

const factories: { name: string; make: (kubeconfig: string) => Applyer }[] = [
  { name: "kubectl", make: (kubeconfig) => createKubectlApplyer({ kubeconfig, log }) },
  {
    name: "api",
    make: (kubeconfig) => {
      const kubeConfig = loadKubeConfigFiles([kubeconfig]);
      return createKubeApiApplyer({ request: createKubeRequest(kubeConfig), log });
    },
  },
];

describe.each(factories)("the $name applyer on a real apiserver", ({ name, make }) => {
  let ns: TestNamespace;
  let applyer: Applyer;
  const actions = async (objects: KubeObject[]) =>
    (await applyer.apply(objects)).objects.map((o) => `${o.kind}/${o.name}:${o.action}`);

  beforeAll(async () => {
    ns = await createTestNamespace(`e2e-applyer-${name}`);
    applyer = make(kubeconfigPath());
    await applyer.ensureInstalled();
  });
  afterAll(async () => {
    await ns?.cleanup();
  });

  it("creates a set, then reports it unchanged, then reports a changed field configured", async () => {
    expect(await actions(manifests(ns.name))).toEqual([
      "ConfigMap/settings:created",
      "Service/web:created",
      "Deployment/web:created",
    ]);
    expect(await actions(manifests(ns.name))).toEqual([
      "ConfigMap/settings:unchanged",
      "Service/web:unchanged",
      "Deployment/web:unchanged",
    ]);
    expect(await actions(manifests(ns.name, { value: "2" }))).toEqual([
      "ConfigMap/settings:configured",
      "Service/web:unchanged",
      "Deployment/web:unchanged",
    ]);
    const cm = await kubectlJson<KubeObject>(["-n", ns.name, "get", "configmap", "settings"]);
    expect(cm.data).toEqual({ value: "2" });
  });

  it("fails an invalid object with the apiserver's message while the rest applies", async () => {
    const objects = manifests(ns.name, { value: "3", port: 99999 });
    const result = await applyer.apply(objects);
    const byName = Object.fromEntries(result.objects.map((o) => [`${o.kind}/${o.name}`, o]));
    expect(byName["Service/web"]?.action).toBe("failed");
    expect(byName["Service/web"]?.message).toMatch(
      /spec\.ports\[0\]\.port: Invalid value: 99999: must be between 1 and 65535/,
    );
    expect(byName["ConfigMap/settings"]?.action).toBe("configured");
    expect(byName["Deployment/web"]?.action).toBe("unchanged");
  });

  it("takes over a field another manager holds, as git is the source of truth, and says which", async () => {
    const labelled = (value: string): KubeObject => ({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "taken", namespace: ns.name, labels: { tier: value } },
      data: { value: "1" },
    });
    // Another tool (here the installer's field manager) owns the label with another value.
    await kubectl(["apply", "--server-side", "--field-manager=simple-gitops-install", "-f", "-"], {
      input: JSON.stringify(labelled("installer")),
    });
    const [result] = (await applyer.apply([labelled("git")])).objects;
    expect(result?.action).toBe("configured");
    expect(result?.takenOver).toEqual([
      { manager: "simple-gitops-install", fields: [".metadata.labels.tier"] },
    ]);
    const live = await kubectlJson<KubeObject>(["-n", ns.name, "get", "configmap", "taken"]);
    expect(live.metadata.labels?.tier).toBe("git");
  });

  it("refuses a misspelled field, as strict field validation does", async () => {
    const misspelled: KubeObject = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "typo", namespace: ns.name },
      dataa: { value: "1" },
    };
    const [result] = (await applyer.apply([misspelled])).objects;
    expect(result?.action).toBe("failed");
    // Both applyers get the server's own words for it, so they agree on a misspelled field.
    expect(result?.message).toMatch(/\.dataa: field not declared in schema/);
  });

  it("waits for a Deployment's rollout", async () => {
    const kc = loadKubeConfigFiles([kubeconfigPath()]);
    const read = createKubeObjectReader(createKubeRequest(kc));
    const result = await waitForHealthy({
      refs: [{ apiVersion: "apps/v1", kind: "Deployment", namespace: ns.name, name: "web" }],
      read,
      timeoutMs: 120_000,
      intervalMs: 500,
    });
    expect(result.objects[0]).toMatchObject({ status: "ready", message: "2 replicas available" });
    expect(result.healthy).toBe(true);
  });

  it("reports an object whose only change is the commit annotation unchanged, and still writes the commit", async () => {
    const COMMIT = "simple-gitops.io/commit";
    const at = (commit: string, value?: string) =>
      manifests(ns.name, value ? { value } : {}).map((object) => ({
        ...object,
        metadata: { ...object.metadata, annotations: { [COMMIT]: commit } },
      }));
    await applyer.apply(at("c1", "4"));
    expect(await actions(at("c2", "4"))).toEqual([
      "ConfigMap/settings:unchanged",
      "Service/web:unchanged",
      "Deployment/web:unchanged",
    ]);
    const live = await kubectlJson<{ items: KubeObject[] }>([
      ...["-n", ns.name, "get", "configmap/settings", "service/web", "deployment/web"],
    ]);
    expect(live.items.map((object) => object.metadata.annotations?.[COMMIT])).toEqual(["c2", "c2", "c2"]);
    expect(await actions(at("c3", "5"))).toEqual([
      "ConfigMap/settings:configured",
      "Service/web:unchanged",
      "Deployment/web:unchanged",
    ]);
  });
});

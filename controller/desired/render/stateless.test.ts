import { describe, expect, it } from "vitest";
import { commandWrapper } from "./bootstrap-script.js";
import { BOOTSTRAP_CONTAINER, makeStateless, podTemplateOf } from "./stateless.js";
import type { KubeObject } from "./types.js";

type Container = {
  name: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  volumeMounts?: { name: string; mountPath: string }[];
};
type PodSpec = { containers: Container[]; initContainers?: Container[]; volumes?: { name: string }[] };

function pod(containers: Container[], extra: Partial<PodSpec> = {}) {
  return { metadata: { labels: { app: "x" } }, spec: { containers, ...extra } };
}
function workload(apiVersion: string, kind: string, template: unknown): KubeObject {
  const spec =
    kind === "CronJob" ? { schedule: "* * * * *", jobTemplate: { spec: { template } } } : { template };
  return { apiVersion, kind, metadata: { name: "x", namespace: "apps" }, spec };
}
function specOf(object: KubeObject): PodSpec {
  return podTemplateOf(object)?.spec as unknown as PodSpec;
}
const OPTS = { service: "shop" };

describe("makeStateless", () => {
  it.each([
    { kind: "Deployment", apiVersion: "apps/v1" },
    { kind: "StatefulSet", apiVersion: "apps/v1" },
    { kind: "DaemonSet", apiVersion: "apps/v1" },
    { kind: "Job", apiVersion: "batch/v1" },
    { kind: "CronJob", apiVersion: "batch/v1" },
  ])("adds the bootstrap to a $kind", ({ kind, apiVersion }) => {
    const spec = specOf(makeStateless(workload(apiVersion, kind, pod([{ name: "app" }])), OPTS));
    expect(spec.initContainers?.[0]?.name).toBe(BOOTSTRAP_CONTAINER);
    expect(spec.volumes?.map((v) => v.name)).toEqual([
      "simple-gitops-config",
      "simple-gitops-secret",
      "simple-gitops-app",
      "simple-gitops-tmp",
    ]);
  });

  it.each([
    { name: "a Service", object: { apiVersion: "v1", kind: "Service", metadata: { name: "s" }, spec: {} } },
    {
      name: "a workload annotated stateless: false",
      object: {
        ...workload("apps/v1", "Deployment", pod([{ name: "a" }])),
        metadata: { name: "x", annotations: { "simple-gitops.io/stateless": "false" } },
      },
    },
    {
      name: "a workload whose pod template is annotated stateless: false",
      object: workload("apps/v1", "Deployment", {
        metadata: { annotations: { "simple-gitops.io/stateless": "false" } },
        spec: { containers: [{ name: "a" }] },
      }),
    },
  ])("leaves $name alone", ({ object }) => {
    expect(makeStateless(object as KubeObject, OPTS)).toEqual(object);
  });

  it("injects the env and mounts into every container, keeping values the manifest sets", () => {
    const spec = specOf(
      makeStateless(
        workload(
          "apps/v1",
          "Deployment",
          pod([
            { name: "app", env: [{ name: "CONFIG_PATH", value: "/mine" }] },
            { name: "sidecar", volumeMounts: [{ name: "own", mountPath: "/tmp" }] },
          ]),
        ),
        OPTS,
      ),
    );
    const [app, sidecar] = spec.containers;
    expect(app?.env).toEqual([
      { name: "CONFIG_PATH", value: "/mine" },
      { name: "SERVICE_NAME", value: "shop" },
      { name: "SECRET_PATH", value: "/etc/secret" },
      {
        name: "DOWNLOAD_BASE_URL",
        valueFrom: { configMapKeyRef: { name: "shop-config", key: "download_base_url", optional: true } },
      },
    ]);
    expect(sidecar?.volumeMounts?.map((m) => `${m.name}:${m.mountPath}`)).toEqual([
      "own:/tmp",
      "simple-gitops-config:/etc/config",
      "simple-gitops-secret:/etc/secret",
      "simple-gitops-app:/app",
    ]);
  });

  it("takes DOWNLOAD_BASE_URL from the config when given", () => {
    const spec = specOf(
      makeStateless(workload("batch/v1", "Job", pod([{ name: "a" }])), {
        ...OPTS,
        downloadBaseUrl: "http://rel",
      }),
    );
    expect(spec.containers[0]?.env).toContainEqual({ name: "DOWNLOAD_BASE_URL", value: "http://rel" });
    expect(spec.initContainers?.[0]?.env).toContainEqual({ name: "DOWNLOAD_BASE_URL", value: "http://rel" });
  });

  it("mounts the service's ConfigMap and Secret as optional", () => {
    const spec = specOf(makeStateless(workload("apps/v1", "Deployment", pod([{ name: "a" }])), OPTS));
    expect(spec.volumes).toContainEqual({
      name: "simple-gitops-config",
      configMap: { name: "shop-config", optional: true },
    });
    expect(spec.volumes).toContainEqual({
      name: "simple-gitops-secret",
      secret: { secretName: "shop-secret", optional: true },
    });
  });

  it.each([
    {
      name: "an explicit command is wrapped to run init.sh then exec itself, args untouched",
      container: { name: "a", command: ["/bin/server", "--port"], args: ["80"] },
      command: ["sh", "-c", commandWrapper(), "simple-gitops-init", "/bin/server", "--port"],
      args: ["80"],
      initRunsInBootstrap: false,
    },
    {
      name: "args alone keep the image entrypoint; init.sh runs in the bootstrap",
      container: { name: "a", args: ["serve"] },
      command: undefined,
      args: ["serve"],
      initRunsInBootstrap: true,
    },
    {
      name: "no command keeps the image entrypoint; init.sh runs in the bootstrap",
      container: { name: "a" },
      command: undefined,
      args: undefined,
      initRunsInBootstrap: true,
    },
  ])("keeps the image's own command: $name", ({ container, command, args, initRunsInBootstrap }) => {
    const spec = specOf(makeStateless(workload("apps/v1", "Deployment", pod([container])), OPTS));
    expect(spec.containers[0]?.command).toEqual(command);
    expect(spec.containers[0]?.args).toEqual(args);
    expect(spec.initContainers?.[0]?.command?.[2]?.includes("init.sh failed")).toBe(initRunsInBootstrap);
  });

  it("puts the bootstrap before existing init containers and leaves them alone", () => {
    const spec = specOf(
      makeStateless(
        workload("apps/v1", "Deployment", pod([{ name: "a" }], { initContainers: [{ name: "migrate" }] })),
        OPTS,
      ),
    );
    expect(spec.initContainers?.map((c) => c.name)).toEqual([BOOTSTRAP_CONTAINER, "migrate"]);
    expect(spec.initContainers?.[1]).toEqual({ name: "migrate" });
  });

  it.each([
    { name: "with a command", container: { name: "a", command: ["run"] } },
    { name: "without a command", container: { name: "a", args: ["x"] } },
  ])("is idempotent $name", ({ container }) => {
    const once = makeStateless(workload("apps/v1", "StatefulSet", pod([container])), OPTS);
    expect(makeStateless(once, OPTS)).toEqual(once);
  });
});

import { DEFAULT_MEMORY } from "./container-memory.js";
import { CONFIG_KEY, CONFIG_MAP_NAME, type InstallOptions, SECRET_NAME } from "./options.js";

const CONFIG_DIR = "/etc/gitops";
const WORKSPACE = "/workspace";
/** WORKSPACE_SIZE_LIMIT bounds the workspace emptyDir: past it, the kubelet evicts the pod instead of filling the node. */
export const WORKSPACE_SIZE_LIMIT = "1Gi";

// apiVersion is what the apiserver fills in anyway. Left out, the live fieldRef (an atomic struct) differs from the
// applied one, and server-side apply then reports a conflict with whoever applied it before (kubectl's client-side
// apply of the piped install), even when nothing changed. fluxcd/pkg ssa sets such defaults for the same reason.
const fieldEnv = (name: string, fieldPath: string) => ({
  name,
  valueFrom: { fieldRef: { apiVersion: "v1", fieldPath } },
});

const probe = (path: string, periodSeconds: number) => ({
  httpGet: { path, port: "http" },
  periodSeconds,
  timeoutSeconds: 3,
  failureThreshold: 3,
});

/**
 * controllerContainer runs the controller, hardened (no privilege escalation, read-only root filesystem, no
 * capabilities), with its config and secrets, probes on the HTTP server, and the mounts of {@link controllerVolumes}.
 */
export function controllerContainer(options: InstallOptions) {
  const memory = options.memory ?? DEFAULT_MEMORY;
  return {
    name: "controller",
    image: options.image,
    args: [
      "--config",
      `${CONFIG_DIR}/${CONFIG_KEY}`,
      "--state-dir",
      `${WORKSPACE}/state`,
      "--listen",
      `0.0.0.0:${options.port}`,
    ],
    ports: [{ name: "http", containerPort: options.port, protocol: "TCP" }],
    env: [
      fieldEnv("POD_NAME", "metadata.name"),
      fieldEnv("POD_NAMESPACE", "metadata.namespace"),
      // The Events the controller writes name its Pod by uid too, so `kubectl describe pod` lists them without the
      // controller needing to read its own Pod (a namespaced install cannot).
      fieldEnv("POD_UID", "metadata.uid"),
      fieldEnv("NODE_NAME", "spec.nodeName"),
      { name: "CLUSTER_NAME", value: options.clusterName },
      { name: "WORKSPACE_DIR", value: WORKSPACE },
    ],
    envFrom: [{ secretRef: { name: SECRET_NAME, optional: true } }],
    livenessProbe: probe("/healthz", 20),
    readinessProbe: probe("/readyz", 10),
    resources: {
      requests: { cpu: "50m", memory: memory.request },
      limits: { cpu: "500m", memory: memory.limit },
    },
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    },
    volumeMounts: [
      { name: "config", mountPath: CONFIG_DIR, readOnly: true },
      { name: "workspace", mountPath: WORKSPACE },
      { name: "tmp", mountPath: "/tmp" },
    ],
  };
}

/** controllerVolumes are the volumes {@link controllerContainer} mounts: the config, the workspace and /tmp. */
export function controllerVolumes() {
  return [
    { name: "config", configMap: { name: CONFIG_MAP_NAME } },
    // Git checkouts, state and the release tree live here; a bound keeps a huge repository from filling the node.
    { name: "workspace", emptyDir: { sizeLimit: WORKSPACE_SIZE_LIMIT } },
    { name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "64Mi" } },
  ];
}

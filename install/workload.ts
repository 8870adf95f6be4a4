import {
  CONFIG_KEY,
  CONFIG_MAP_NAME,
  type InstallOptions,
  labels,
  MANAGEMENT_NODE_LABEL,
  metadata,
  NAME,
  SECRET_NAME,
} from "./options.js";

const CONFIG_DIR = "/etc/gitops";
const WORKSPACE = "/workspace";
/** WORKSPACE_SIZE_LIMIT bounds the workspace emptyDir: past it, the kubelet evicts the pod instead of filling the node. */
export const WORKSPACE_SIZE_LIMIT = "1Gi";

const fieldEnv = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { fieldPath } } });

/**
 * daemonSet runs the controller on the management nodes (the seed's node affinity), hardened: non-root, read-only
 * root filesystem, no capabilities, probes on the HTTP server. `configHash` changes the pod template when the config
 * changes, so a new config rolls the pods instead of waiting for a restart.
 */
export function daemonSet(options: InstallOptions, configHash: string) {
  const selector = { "app.kubernetes.io/name": NAME };
  const probe = (path: string, periodSeconds: number) => ({
    httpGet: { path, port: "http" },
    periodSeconds,
    timeoutSeconds: 3,
    failureThreshold: 3,
  });
  return {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: metadata(options, NAME, options.namespace),
    spec: {
      selector: { matchLabels: selector },
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
      template: {
        metadata: { labels: labels(options), annotations: { "simple-gitops.io/config-sha256": configHash } },
        spec: {
          serviceAccountName: NAME,
          terminationGracePeriodSeconds: 30,
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [
                  { matchExpressions: [{ key: MANAGEMENT_NODE_LABEL, operator: "In", values: ["true"] }] },
                ],
              },
            },
          },
          // Management nodes are often control-plane nodes, which carry these taints.
          tolerations: [
            { key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" },
            { key: "node-role.kubernetes.io/master", operator: "Exists", effect: "NoSchedule" },
          ],
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 10001,
            runAsGroup: 10001,
            fsGroup: 10001,
            seccompProfile: { type: "RuntimeDefault" },
          },
          containers: [
            {
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
                fieldEnv("NODE_NAME", "spec.nodeName"),
                { name: "CLUSTER_NAME", value: options.clusterName },
                { name: "WORKSPACE_DIR", value: WORKSPACE },
              ],
              envFrom: [{ secretRef: { name: SECRET_NAME, optional: true } }],
              livenessProbe: probe("/healthz", 20),
              readinessProbe: probe("/readyz", 10),
              resources: {
                requests: { cpu: "50m", memory: "96Mi" },
                limits: { cpu: "500m", memory: "256Mi" },
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
            },
          ],
          volumes: [
            { name: "config", configMap: { name: CONFIG_MAP_NAME } },
            // Git checkouts, state and the release tree live here; a bound keeps a huge repository from filling the node.
            { name: "workspace", emptyDir: { sizeLimit: WORKSPACE_SIZE_LIMIT } },
            { name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "64Mi" } },
          ],
        },
      },
    },
  };
}

/** service exposes the HTTP server: the release tree workloads download from, the status API and the webhook. */
export function service(options: InstallOptions) {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: metadata(options, NAME, options.namespace),
    spec: {
      selector: { "app.kubernetes.io/name": NAME },
      ports: [{ name: "http", port: options.port, targetPort: "http", protocol: "TCP" }],
    },
  };
}

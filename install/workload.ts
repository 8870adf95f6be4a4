import { controllerContainer, controllerVolumes } from "./controller-container.js";
import {
  type InstallOptions,
  labels,
  MANAGEMENT_NODE_LABEL,
  MANAGEMENT_NODE_VALUE,
  metadata,
  NAME,
} from "./options.js";

/**
 * daemonSet runs the controller on the management nodes (the seed's node affinity), hardened: non-root, read-only
 * root filesystem, no capabilities, probes on the HTTP server. `configHash` changes the pod template when the config
 * changes, so a new config rolls the pods instead of waiting for a restart.
 */
export function daemonSet(options: InstallOptions, configHash: string) {
  const selector = { "app.kubernetes.io/name": NAME };
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
          ...onManagementNodes(),
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 10001,
            runAsGroup: 10001,
            fsGroup: 10001,
            seccompProfile: { type: "RuntimeDefault" },
          },
          containers: [controllerContainer(options)],
          volumes: controllerVolumes(),
        },
      },
    },
  };
}

/** onManagementNodes is the pod's node affinity to the management nodes and the taints it tolerates there. */
function onManagementNodes() {
  return {
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            {
              matchExpressions: [
                { key: MANAGEMENT_NODE_LABEL, operator: "In", values: [MANAGEMENT_NODE_VALUE] },
              ],
            },
          ],
        },
      },
    },
    // Management nodes are often control-plane nodes, which carry these taints.
    tolerations: [
      { key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" },
      { key: "node-role.kubernetes.io/master", operator: "Exists", effect: "NoSchedule" },
    ],
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

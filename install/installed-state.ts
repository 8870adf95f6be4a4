import { ConfigError } from "../controller/config/config-error.js";

/**
 * installedState is the `state` the installed controller runs with. The DaemonSet's workspace is an emptyDir, so
 * `state: file` would lose what was deployed, and with it the prune inventory, whenever the pod is replaced
 * (a reschedule, a node drain, an upgrade): refused. Unset, the install uses `configmap`, which is what someone
 * installing into a cluster expects; the controller's own default stays `file` for runs outside one.
 */
export function installedState(config: Record<string, unknown>, source: string): "configmap" {
  if (config.state === undefined || config.state === "configmap") return "configmap";
  throw new ConfigError(source, [
    {
      path: "state",
      message:
        `"${String(config.state)}" keeps the deployed state and prune inventory in the pod's emptyDir, lost ` +
        "whenever the DaemonSet's pod is replaced: use state: configmap (or leave state unset, which installs " +
        "configmap)",
    },
  ]);
}

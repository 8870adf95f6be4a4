import type { Logger } from "pino";
import type { KubeRequest } from "../../kube/http.js";
import { createLeaderElector, type LeaderElector, type LeaderElectorOptions } from "../loop/leader.js";
import type { ControllerOptions } from "./cli-options.js";

/**
 * buildElector is the leader election of a controller run in a pod (the DaemonSet sets POD_NAME and
 * POD_NAMESPACE), where several replicas elect one leader through a Lease. Run by hand, or with --once or
 * --dry-run, this process is the only one: there is none.
 */
export function buildElector(
  options: Pick<ControllerOptions, "once" | "dryRun">,
  env: Readonly<Record<string, string | undefined>>,
  kube: KubeRequest,
  log: Logger,
  hooks: Pick<LeaderElectorOptions, "onStartedLeading" | "onStoppedLeading">,
): LeaderElector | undefined {
  const pod = podOf(options, env);
  if (!pod) return undefined;
  return createLeaderElector({
    ...pod,
    request: kube,
    log: log.child({ component: "leader" }),
    ...hooks,
  });
}

/**
 * podOf names the pod this process runs as, one of several replicas that share a Lease namespace: the DaemonSet sets
 * POD_NAME and POD_NAMESPACE. Run by hand, or with --once or --dry-run, it is the only process: none.
 */
export function podOf(
  options: Pick<ControllerOptions, "once" | "dryRun">,
  env: Readonly<Record<string, string | undefined>>,
): { namespace: string; identity: string } | undefined {
  const namespace = env.POD_NAMESPACE;
  const identity = env.POD_NAME;
  if (!namespace || !identity || options.once || options.dryRun) return undefined;
  return { namespace, identity };
}

import type { Logger } from "pino";
import type { KubeRequest } from "../../kube/http.js";
import { awaitVacantLease } from "../loop/leader/await-vacant-lease.js";
import { awaitNoMembers } from "./await-no-members.js";

/** Handover resolves true once this pod may start working, false when its signal aborts first. */
export type Handover = (signal: AbortSignal) => Promise<boolean>;

/**
 * handoverOf is what a pod waits for before it works, so that a DaemonSet rolled from one way of working to the
 * other (a change of `sharding`, or the upgrade that made it the default) never has both at work on one service: a
 * member waits until no pod leads through the leader Lease, a leader candidate until no other pod is a member.
 * Outside a pod, or with --once or --dry-run, there is nobody to wait for.
 */
export function handoverOf(
  works: "member" | "leader" | undefined,
  pod: { namespace: string; identity: string } | undefined,
  request: KubeRequest,
  log: Logger,
): Handover | undefined {
  if (!works || !pod) return undefined;
  const waitLog = log.child({ component: "handover" });
  return works === "member"
    ? (signal) => awaitVacantLease({ namespace: pod.namespace, request, log: waitLog, signal })
    : (signal) => awaitNoMembers({ ...pod, request, log: waitLog, signal });
}

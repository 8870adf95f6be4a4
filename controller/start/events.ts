import type { Logger } from "pino";
import { systemClock } from "../../common/clock.js";
import type { KubeRequest } from "../../kube/http.js";
import { createEventRecorder } from "../report/events/event-recorder.js";
import { type EmitServiceEvent, emitNoEvents } from "../report/events/service-events.js";
import type { ControllerOptions } from "./cli-options.js";

/** ServiceEventsWiring is how the controller records Kubernetes Events, and waits for or stops their writes. */
export interface ServiceEventsWiring {
  readonly emit: EmitServiceEvent;
  /** idle resolves when every Event emitted so far was written or given up on. */
  idle(): Promise<void>;
  stop(): void;
}

/**
 * buildServiceEvents records Events on the controller's own Pod, named by POD_NAME and POD_NAMESPACE (the installed
 * DaemonSet sets both from the downward API), and POD_UID when set (so `kubectl describe pod` lists them without
 * the controller reading its Pod, which a namespaced install's RBAC does not allow). Without them, or on a dry run (which applies nothing and may have
 * no cluster), there are none, and one info line says why.
 */
export function buildServiceEvents(
  options: Pick<ControllerOptions, "dryRun">,
  env: Readonly<Record<string, string | undefined>>,
  kube: KubeRequest,
  log: Logger,
): ServiceEventsWiring {
  const name = env.POD_NAME;
  const namespace = env.POD_NAMESPACE;
  const off = (why: string): ServiceEventsWiring => {
    log.info(`Kubernetes Events are off: ${why}`);
    return { emit: emitNoEvents, idle: async () => undefined, stop: () => undefined };
  };
  if (options.dryRun) return off("a dry run records none");
  if (!name || !namespace)
    return off("POD_NAME and POD_NAMESPACE are not both set: no Pod to record them on");
  return createEventRecorder({
    request: kube,
    pod: { name, namespace, ...(env.POD_UID ? { uid: env.POD_UID } : {}) },
    clock: systemClock,
    log: log.child({ component: "events" }),
  });
}

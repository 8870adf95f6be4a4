import { SERVICE_ANNOTATION, SERVICE_LABEL } from "../../../kube/objects.js";
import type { CorrelatedEvent } from "./correlator.js";
import { EVENT_TYPES } from "./service-events.js";

/** COMPONENT is the Event source and reporting controller: how `kubectl get events` tells our Events apart. */
export const COMPONENT = "simple-gitops";

// The apiserver refuses a longer note in events.k8s.io; a core Event is cut the same way, so both read alike.
const MESSAGE_LIMIT = 1024;

/** PodRef is the controller's own Pod, which every Event is about; `uid` when it could be read. */
export interface PodRef {
  readonly name: string;
  readonly namespace: string;
  readonly uid?: string;
}

/**
 * eventBody is a core v1 Event about `pod` for one service: the service named at the start of the message and in a
 * `simple-gitops.io/service` label (so `kubectl get events -l simple-gitops.io/service=NAME` selects them) and
 * annotation, as every object the controller applies carries them.
 */
export function eventBody(event: CorrelatedEvent, pod: PodRef): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Event",
    metadata: {
      name: event.name,
      namespace: pod.namespace,
      labels: { [SERVICE_LABEL]: event.service },
      annotations: { [SERVICE_ANNOTATION]: event.service },
    },
    involvedObject: {
      apiVersion: "v1",
      kind: "Pod",
      name: pod.name,
      namespace: pod.namespace,
      ...(pod.uid ? { uid: pod.uid } : {}),
    },
    type: EVENT_TYPES[event.reason],
    reason: event.reason,
    ...eventPatch(event),
    firstTimestamp: timestamp(event.firstTimestamp),
    source: { component: COMPONENT },
    reportingComponent: COMPONENT,
    reportingInstance: pod.name,
  };
}

/** eventPatch is what a repeat changes in the Event already written: its count, last time and message. */
export function eventPatch(event: CorrelatedEvent): Record<string, unknown> {
  return {
    message: truncate(`service ${event.service}: ${event.message}`),
    count: event.count,
    lastTimestamp: timestamp(event.lastTimestamp),
  };
}

function truncate(message: string): string {
  return message.length <= MESSAGE_LIMIT ? message : `${message.slice(0, MESSAGE_LIMIT - 1)}…`;
}

/** timestamp is a metav1.Time: RFC 3339 in whole seconds. */
function timestamp(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

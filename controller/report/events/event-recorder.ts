import type { Logger } from "pino";
import type { Clock } from "../../../common/clock.js";
import { type KubeRequest, type KubeResponse, statusMessage } from "../../../kube/http.js";
import { type CorrelatedEvent, type CorrelatorLimits, createEventCorrelator } from "./correlator.js";
import { eventBody, eventPatch, type PodRef } from "./event-body.js";
import { podRefReader } from "./pod-ref.js";
import type { EmitServiceEvent } from "./service-events.js";

/** EventRecorderOptions are where Events go (the controller's Pod), how they are sent, and their bounds. */
export interface EventRecorderOptions {
  readonly request: KubeRequest;
  /** pod is the controller's own Pod; without its `uid`, it is read once from the apiserver. */
  readonly pod: PodRef;
  readonly clock: Clock;
  readonly log: Logger;
  /** timeoutMs bounds each apiserver call; 10 s unless given. */
  readonly timeoutMs?: number;
  /** maxPending Events may wait to be written; more are dropped, as the apiserver is not keeping up. */
  readonly maxPending?: number;
  readonly limits?: Partial<CorrelatorLimits>;
}

/** EventRecorder writes the Events it is given in the background, one at a time. */
export interface EventRecorder {
  readonly emit: EmitServiceEvent;
  /** idle resolves when every Event emitted so far was written or given up on. */
  idle(): Promise<void>;
  /** stop aborts the write in flight and drops what is left: the process is ending. */
  stop(): void;
}

/** Bounds are what every apiserver call of the recorder carries: its deadline and the recorder's stop. */
interface Bounds {
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
}

/**
 * createEventRecorder records Events on the controller's Pod through the apiserver, correlated as kubelet's
 * recorder does (see correlator.ts), one write at a time so a repeat follows the Event it counts. `emit` returns at
 * once; every call has a timeout; a refused or failed write is logged, never thrown.
 */
export function createEventRecorder(options: EventRecorderOptions): EventRecorder {
  const { request, clock, log } = options;
  const maxPending = options.maxPending ?? 100;
  const correlator = createEventCorrelator({
    clock,
    namePrefix: options.pod.name,
    ...(options.limits ? { limits: options.limits } : {}),
  });
  const stopped = new AbortController();
  const bounds: Bounds = { timeoutMs: options.timeoutMs ?? 10_000, signal: stopped.signal };
  const podRef = podRefReader(request, options.pod, bounds, log);
  const state = { tail: Promise.resolve(), pending: 0, failing: false };

  const settle = (event: CorrelatedEvent, answer: KubeResponse | Error) => {
    const refused =
      answer instanceof Error ? answer.message : answer.status >= 300 ? statusMessage(answer) : undefined;
    // Once per spell of failures: an apiserver that refuses every Event must not fill the log.
    if (refused !== undefined && !state.failing)
      log.warn({ reason: event.reason, service: event.service, err: refused }, "writing an Event failed");
    state.failing = refused !== undefined;
  };

  return {
    emit(reason, service, message) {
      if (stopped.signal.aborted) return;
      const event = correlator.correlate({ reason, service, message });
      if (!event || state.pending >= maxPending) {
        log.debug({ reason, service }, "Event dropped: over its rate, or too many waiting to be written");
        return;
      }
      state.pending++;
      state.tail = state.tail
        .then(async () => writeEvent(request, event, await podRef(), bounds))
        .then(
          (answer) => settle(event, answer),
          (error: unknown) => settle(event, error instanceof Error ? error : new Error(String(error))),
        )
        .finally(() => {
          state.pending--;
        });
    },
    idle: () => state.tail,
    stop: () => stopped.abort(new Error("the controller is stopping")),
  };
}

/**
 * writeEvent sends one correlated Event: a repeat is a merge PATCH of its count, last time and message, written
 * anew (with its count) when the Event is gone; anything else is a POST.
 */
async function writeEvent(
  request: KubeRequest,
  event: CorrelatedEvent,
  pod: PodRef,
  bounds: Bounds,
): Promise<KubeResponse> {
  const events = `/api/v1/namespaces/${encodeURIComponent(pod.namespace)}/events`;
  if (event.count > 1) {
    const patched = await request("PATCH", `${events}/${encodeURIComponent(event.name)}`, eventPatch(event), {
      ...bounds,
      contentType: "application/merge-patch+json",
    });
    // Gone (Events expire after an hour) or never written (the rate limit dropped the first).
    if (patched.status !== 404) return patched;
  }
  return request("POST", events, eventBody(event, pod), bounds);
}

/**
 * ServiceEventReason is the closed set of reasons the controller's Kubernetes Events carry, one per thing that
 * happens to a service.
 */
export type ServiceEventReason =
  | "SyncSucceeded"
  | "SyncFailed"
  | "DriftCorrected"
  | "Pruned"
  | "RolledBack"
  | "Suspended"
  | "Resumed";

/** EVENT_TYPES is each reason's Event type: `Warning` for what a person should look at, `Normal` for the rest. */
export const EVENT_TYPES: Readonly<Record<ServiceEventReason, "Normal" | "Warning">> = {
  SyncSucceeded: "Normal",
  SyncFailed: "Warning",
  DriftCorrected: "Normal",
  Pruned: "Normal",
  RolledBack: "Warning",
  Suspended: "Normal",
  Resumed: "Normal",
};

/**
 * EmitServiceEvent records a Kubernetes Event about `service` on the controller's Pod, `message` saying what
 * happened. It returns at once and never throws: the Event is written in the background, rate-limited and with a
 * timeout, so neither a slow apiserver nor a refused write can hold up or fail what emitted it.
 */
export type EmitServiceEvent = (reason: ServiceEventReason, service: string, message: string) => void;

/** emitNoEvents is the EmitServiceEvent of a controller that records no Events (not run in a Pod, a dry run). */
export const emitNoEvents: EmitServiceEvent = () => undefined;

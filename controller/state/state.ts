import type { ObjectRef } from "../render/types.js";

/** ServiceError is the last failure of a service, kept until a sync of that service succeeds. */
export interface ServiceError {
  readonly message: string;
  readonly code: string;
  readonly at: string;
  readonly commit?: string;
}

/**
 * ServiceState is what was deployed for one service. Everything in it is recorded only after the apply it
 * describes succeeded, so after a restart nothing applied is re-applied and nothing half-applied counts as done.
 */
export interface ServiceState {
  /** The commit whose every file of the service was applied. */
  readonly commit?: string;
  /** Blob SHA per applied file path: the source's known state. */
  readonly files: Readonly<Record<string, string>>;
  /** The objects each applied file rendered to, for prune and the status API. */
  readonly objects: Readonly<Record<string, readonly ObjectRef[]>>;
  /** The service configuration `.json` files, kept to rebuild the `{svc}-config` ConfigMap when one changes. */
  readonly configFiles: Readonly<Record<string, string>>;
  /** Every object simple-gitops applied for the service and has not pruned (see applyers/inventory.ts). */
  readonly inventory: readonly ObjectRef[];
  readonly lastDeployTime?: string;
  readonly lastError?: ServiceError;
  /** Consecutive failed syncs, for the retry backoff. */
  readonly failures: number;
  /** The earliest time a failed service is tried again (ISO 8601). */
  readonly retryAfter?: string;
}

/** AuditEvent is one entry of the audit trail: who triggered what, for which commit, with what result. */
export interface AuditEvent {
  readonly id: string;
  readonly time: string;
  readonly trigger: Trigger;
  readonly kind: "apply" | "prune";
  readonly service: string;
  readonly repo: string;
  readonly commit: string;
  readonly result: "succeeded" | "failed";
  readonly objects: readonly { kind: string; namespace?: string; name: string; action: string }[];
  readonly durationMs: number;
  readonly error?: string;
}

/** Trigger says what started a sync. */
export type Trigger = "startup" | "poll" | "schedule" | "webhook" | "manual";

/** ControllerState is the whole persisted state: services by name and the bounded audit trail, newest last. */
export interface ControllerState {
  readonly version: 1;
  readonly services: Readonly<Record<string, ServiceState>>;
  readonly events: readonly AuditEvent[];
}

/** MAX_EVENTS bounds the audit trail kept in the state store. */
export const MAX_EVENTS = 200;

/** emptyState is the state of a controller that has deployed nothing. */
export function emptyState(): ControllerState {
  return { version: 1, services: {}, events: [] };
}

/** emptyServiceState is the state of a service that was never deployed. */
export function emptyServiceState(): ServiceState {
  return { files: {}, objects: {}, configFiles: {}, inventory: [], failures: 0 };
}

/** withEvents appends audit events, keeping only the newest MAX_EVENTS. */
export function withEvents(state: ControllerState, events: readonly AuditEvent[]): ControllerState {
  return { ...state, events: [...state.events, ...events].slice(-MAX_EVENTS) };
}

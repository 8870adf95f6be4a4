import type { ObjectApplyResult } from "../../../applyers/applyer.js";
import type { BootstrapDecision } from "../../desired/release-probe.js";
import type { ObjectRef } from "../../desired/render/types.js";

/** ServiceError is the last failure of a service, kept until a sync of that service succeeds. */
export interface ServiceError {
  readonly message: string;
  readonly code: string;
  readonly at: string;
  readonly commit?: string;
}

/**
 * ObjectStatus is one object of a service's last sync: what applying did to it, why when it failed or was skipped,
 * the fields taken over from other managers, and its health when it is a workload that is not healthy.
 */
export interface ObjectStatus extends ObjectApplyResult {
  readonly health?: string;
  /** The file of git the object came from. */
  readonly path?: string;
}

/**
 * ServiceState is what was deployed for one service. `commit` and `files` are recorded only when the service's whole
 * desired set at that commit landed and every workload in it was healthy, so after a restart nothing half-applied
 * counts as done, and a failed service is applied again until it lands.
 */
export interface ServiceState {
  /** The newest commit whose whole set landed and became healthy. */
  readonly commit?: string;
  /** Blob SHA per file path of the set at `commit`: what the source compares to say which files changed. */
  readonly files: Readonly<Record<string, string>>;
  /** Every object simple-gitops applied for the service and has not pruned (see controller/prune/inventory.ts). */
  readonly inventory: readonly ObjectRef[];
  /** The objects of the last sync that applied something, each with its action. */
  readonly objects: readonly ObjectStatus[];
  readonly lastDeployTime?: string;
  readonly lastError?: ServiceError;
  /** Consecutive failed syncs, for the retry backoff. */
  readonly failures: number;
  /** The earliest time a failed service is tried again (ISO 8601). */
  readonly retryAfter?: string;
  /** The last reconcile's drift check, once one ran. */
  readonly drift?: DriftReport;
  /** Whether the last render gave its pod templates the stateless bootstrap, and why. */
  readonly bootstrap?: BootstrapDecision;
  /** Set while a person holds the service where it is: nothing is applied, corrected or pruned for it. */
  readonly suspended?: Suspension;
  /** The commits whose whole set landed, newest first, at most MAX_HISTORY (see controller/record/history.ts). */
  readonly history?: readonly HistoryEntry[];
  /** Set when the service was rolled back to an earlier landed set, until a newer set lands. */
  readonly rolledBack?: RollbackRecord;
  /**
   * The objects failed syncs added to the inventory since the last set landed, each saying whether the sync created
   * it or found it there: what an automatic rollback deletes (the created ones) and lets go of (the others).
   */
  readonly addedByFailures?: readonly AddedByFailure[];
}

/** AddedByFailure is an object a failed sync added to the inventory, and whether that sync created it. */
export interface AddedByFailure extends ObjectRef {
  readonly created: boolean;
}

/**
 * Suspension says who suspended a service, when, why, and the landed commit it holds at. It is kept in the state,
 * so a restarted or a new leader keeps the service suspended until someone resumes it.
 */
export interface Suspension {
  /** Who asked, as the request said (`X-Simple-Gitops-Actor` or the body's `actor`), else `api`. */
  readonly by: string;
  readonly at: string;
  readonly reason?: string;
  /** The service's landed commit when it was suspended, if it had landed one. */
  readonly commit?: string;
}

/** HistoryEntry is one commit whose whole set of a service landed: when, what asked for it, and its size. */
export interface HistoryEntry {
  readonly commit: string;
  readonly time: string;
  readonly trigger: Trigger;
  /** How many objects the landed set held. */
  readonly objects: number;
  /** The service's paths this commit added, changed or deleted compared with the set before it (at most 20). */
  readonly files?: readonly string[];
}

/** RollbackRecord is a rollback to an earlier landed set: to which commit, from which, when, by whom and why. */
export interface RollbackRecord {
  readonly restoredCommit: string;
  /** The commit the service was at before, when it had landed one (for an automatic rollback, the failed one). */
  readonly fromCommit?: string;
  /**
   * The commit whose set failed to land, for the controller's own rollback (`on_failure: rollback`): it is not tried
   * again until the head moves or a person asks.
   */
  readonly failedCommit?: string;
  readonly at: string;
  readonly by: string;
  /** Why: what a person said, or for the controller's own rollback the failed commit's error (`CODE: message`). */
  readonly reason: string;
}

/**
 * DriftReport is what the last reconcile found: the objects whose live state differed from git (`configured`) or
 * were gone (`created`), and whether they were put back (`drift: correct`) or only reported (`drift: report`).
 */
export interface DriftReport {
  readonly checkedAt: string;
  readonly mode: "correct" | "report";
  readonly objects: readonly (ObjectRef & { readonly action: "created" | "configured" })[];
}

/** RepoState is the newest commit at which every service of a repository landed, and when it did. */
export interface RepoState {
  readonly commit: string;
  readonly time: string;
}

/**
 * AuditEvent is one entry of the audit trail: who triggered what, for which commit, with what result. `suspend` and
 * `resume` entries name the person (`actor`) and why (`reason`); an apply a person asked for names them too.
 */
export interface AuditEvent {
  readonly id: string;
  readonly time: string;
  readonly trigger: Trigger;
  readonly kind: "apply" | "prune" | "drift" | "suspend" | "resume" | "rollback";
  readonly service: string;
  readonly repo: string;
  readonly commit: string;
  readonly result: "succeeded" | "failed";
  readonly objects: readonly {
    kind: string;
    namespace?: string;
    name: string;
    action: string;
    message?: string;
  }[];
  readonly durationMs: number;
  readonly error?: string;
  readonly actor?: string;
  readonly reason?: string;
}

/**
 * Trigger says what started a sync; `reconcile` is the periodic re-apply of a landed set (reconcile_interval),
 * `rollback` a person's re-apply of an earlier landed set.
 */
export type Trigger = "startup" | "poll" | "schedule" | "webhook" | "manual" | "reconcile" | "rollback";

/**
 * ControllerState is the whole persisted state: services by name, repositories by `github_configs` key, and the
 * bounded audit trail, newest last.
 */
export interface ControllerState {
  readonly version: 1;
  readonly services: Readonly<Record<string, ServiceState>>;
  readonly repos: Readonly<Record<string, RepoState>>;
  readonly events: readonly AuditEvent[];
  /** Repositories GitHub asked to wait (a rate limit), by `github_configs` key; their deployed services stay so. */
  readonly waiting?: Readonly<Record<string, RepoWaiting>>;
}

/** RepoWaiting is a repository that cannot be read until a rate limit resets: a state, not a service failure. */
export interface RepoWaiting {
  readonly code: string;
  readonly message: string;
  readonly since: string;
  /** When GitHub said reading may resume (ISO 8601), when it said. */
  readonly until?: string;
}

/** MAX_EVENTS bounds the audit trail kept in the state store. */
export const MAX_EVENTS = 200;

/** emptyState is the state of a controller that has deployed nothing. */
export function emptyState(): ControllerState {
  return { version: 1, services: {}, repos: {}, events: [] };
}

/** emptyServiceState is the state of a service that was never deployed. */
export function emptyServiceState(): ServiceState {
  return { files: {}, inventory: [], objects: [], failures: 0 };
}

/** withEvents appends audit events, keeping only the newest MAX_EVENTS. */
export function withEvents(state: ControllerState, events: readonly AuditEvent[]): ControllerState {
  return { ...state, events: [...state.events, ...events].slice(-MAX_EVENTS) };
}

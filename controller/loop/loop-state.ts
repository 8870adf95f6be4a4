import type { ParseCache } from "../desired/desired-set.js";
import type { ObjectRef } from "../desired/render/types.js";
import type { Owner } from "../record/owners.js";
import type { Recorder } from "../record/recorder.js";
import type { RollbackOutcome } from "../record/service-control.js";
import type { Trigger } from "../record/state/state.js";
import type { ControllerDeps } from "./controller-deps.js";

/** LoopState is what the loop knows between runs; only the loop's own steps change it. */
export interface LoopState {
  /** firstSyncStarted turns true when this process, as the leader, starts its first run (for `/readyz`). */
  firstSyncStarted: boolean;
  /** stateFresh is true while the in-memory state is what the store holds: after a load, and while this leads. */
  stateFresh: boolean;
  /** inFlight aborts the run in progress, if any. */
  inFlight: AbortController | undefined;
}

/** Loop is what the steps of the controller share: its collaborators, the recorder, caches, and its state. */
export interface Loop {
  readonly deps: ControllerDeps;
  readonly recorder: Recorder;
  /** record is the recorder's, one save at a time (see inTurn). */
  readonly record: Recorder["record"];
  readonly parseCache: ParseCache;
  readonly ownerOf: (ref: ObjectRef) => Owner | undefined;
  readonly state: LoopState;
  /** inTurn runs a write of the state after the writes before it settled (see in-turn.ts). */
  readonly inTurn: <T>(work: () => Promise<T>) => Promise<T>;
  /** claims are the syncs of services under way, each settling once its outcome is recorded (see claims.ts). */
  readonly claims: Map<string, Promise<void>>;
  /** rollbacks are the commits of the rollbacks under way, by service: one at a time per service. */
  readonly rollbacks: Map<string, string>;
  /** rollbackWaiters settle the request of each rollback under way once its result is recorded. */
  readonly rollbackWaiters: Map<string, (outcome: RollbackOutcome) => void>;
  /** dependents are the services held for their dependencies (`depends_on`), with what asked for them. */
  readonly dependents: Map<string, Trigger>;
}

/**
 * loadState reads the stored state into the recorder; from then on the in-memory copy is fresh. A member of a fleet
 * keeps its own records the store refused (another member wrote the same ConfigMap meanwhile): dropped, their
 * services would be applied again at the next poll. A leader drops them: the state is another leader's now.
 */
export async function loadState(loop: Loop): Promise<void> {
  await (loop.deps.gate ? loop.recorder.refresh() : loop.recorder.load());
  loop.state.stateFresh = true;
}

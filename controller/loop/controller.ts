import { createParseCache } from "../desired/desired-set.js";
import { ownerLookup } from "../record/owners.js";
import { createRecorder } from "../record/recorder.js";
import type { SyncResult } from "../record/result.js";
import type { ServiceControl } from "../record/service-control.js";
import type { ControllerState } from "../record/state/state.js";
import { letGo, recordIfOurs } from "./claims.js";
import type { ControllerDeps } from "./controller-deps.js";
import { inTurn } from "./in-turn.js";
import { type Loop, loadState } from "./loop-state.js";
import { runBatch } from "./run-batch.js";
import { createScheduler } from "./scheduler.js";
import { createServiceControl, settleRollback } from "./service-control.js";
import { stopLoop } from "./stop-loop.js";
import type { SyncRequest } from "./sync-request.js";

export type { ControllerDeps } from "./controller-deps.js";
export { POLL_CONCURRENCY } from "./sync-repos.js";
export type { SyncRequest } from "./sync-request.js";

/**
 * Controller is the running loop: it polls, applies, records, and answers sync requests one run at a time, and a
 * person's suspend, resume and rollback of a service (ServiceControl).
 */
export interface Controller extends ServiceControl {
  /** start loads the state, runs the first sync and starts the poll timer and cron schedules. */
  start(): Promise<void>;
  /** runOnce syncs every service once (scheduled ones included) and returns the results. */
  runOnce(): Promise<SyncResult[]>;
  /** requestSync queues a sync; while a run is going, every request made meanwhile becomes one follow-up run. */
  requestSync(request: SyncRequest): { accepted: boolean; reason?: string };
  getState(): ControllerState;
  /** status tells readiness: whether the state store answered and a first sync started. */
  status(): { stateStoreReachable: boolean; firstSyncStarted: boolean; running: boolean };
  /** idle resolves when no run is going and none is queued. */
  idle(): Promise<void>;
  /**
   * stop ends timers and schedules and waits up to `graceMs` for the current run; past that it aborts the run and
   * waits for it to stop (its calls end at once), so nothing is written after stop resolves.
   */
  stop(options?: { graceMs?: number }): Promise<{ abandoned: boolean }>;
  /** abort stops the run in progress before its next write, e.g. when this replica lost the leader Lease. */
  abort(reason: string): void;
  /**
   * gained starts the services this controller was given, from the state their last owner stored: all of them at
   * start-up (`first`), else each reconciled, so a drift its last owner had not corrected yet is.
   */
  gained(services: ReadonlySet<string>, first: boolean): void;
  /** letGo waits for the syncs under way of services handed to another controller, and writes their records. */
  letGo(services: ReadonlySet<string>): Promise<void>;
}

/**
 * createController wires the loop: a scheduler that runs one batch of requests at a time, a recorder that owns the
 * state, and per repository one poll and the syncs of the services it asks for. Services with a `schedule` sync
 * only on their cron schedule (or when asked for by name).
 */
export function createController(deps: ControllerDeps): Controller {
  const { config, log, clock } = deps;
  const rollbackWaiters: Loop["rollbackWaiters"] = new Map();
  const recorder = createRecorder({
    store: deps.store,
    config,
    clock,
    timers: deps.timers,
    ...(deps.isLeader ? { mayWrite: deps.isLeader } : {}),
    ...(deps.gate ? { mayWrite: () => deps.gate?.current() ?? true } : {}),
    log,
    listeners: [...(deps.listeners ?? []), (result) => settleRollback({ rollbackWaiters }, result)],
    ...(deps.onSuspension ? { onSuspension: deps.onSuspension } : {}),
    ...(deps.onSuspensionChange ? { onSuspensionChange: deps.onSuspensionChange } : {}),
  });
  // Every write of the state takes its turn: a sync's record and a person's suspend are saved one after the other.
  const turn = inTurn((work: () => Promise<unknown>) => work());
  const loop: Loop = {
    deps,
    recorder,
    inTurn: <T>(work: () => Promise<T>) => turn(work) as Promise<T>,
    record: (result, state) => recordIfOurs(loop, result, () => turn(() => recorder.record(result, state))),
    parseCache: createParseCache(),
    ownerOf: ownerLookup(() => recorder.state()),
    state: { firstSyncStarted: false, stateFresh: false, inFlight: undefined },
    claims: new Map(),
    rollbacks: new Map(),
    rollbackWaiters,
    dependents: new Map(),
  };
  let stopped = false;
  const scheduler = createScheduler<SyncResult>({
    // What a run recorded is written by its end: `--once` exits then, and `idle` means written too.
    run: (batch, includeScheduled) => runBatch(loop, batch, includeScheduled).finally(() => recorder.flush()),
    services: config.services,
    intervalMs: config.pollIntervalSeconds * 1000,
    clock,
    timers: deps.timers,
    log,
    ...(deps.cron ? { cron: deps.cron } : {}),
    ...(deps.random ? { random: deps.random } : {}),
  });

  const control = createServiceControl(loop, scheduler, () => stopped);

  return {
    ...control,
    async start() {
      await loadState(loop);
      scheduler.start();
      scheduler.request({ trigger: "startup" });
    },
    async runOnce() {
      await loadState(loop);
      return scheduler.runNow({ trigger: "startup" }, true);
    },
    requestSync(request) {
      if (stopped) return { accepted: false, reason: "shutting down" };
      if (request.service && !config.services.some((service) => service.name === request.service)) {
        return { accepted: false, reason: `unknown service ${request.service}` };
      }
      scheduler.request(request);
      return { accepted: true };
    },
    getState: () => recorder.state(),
    status: () => ({
      stateStoreReachable: recorder.reachable(),
      firstSyncStarted: loop.state.firstSyncStarted,
      running: scheduler.running(),
    }),
    idle: () => scheduler.idle(),
    stop(options = {}) {
      stopped = true;
      return stopLoop(loop, scheduler, options.graceMs ?? 20_000);
    },
    abort(reason) {
      loop.state.inFlight?.abort(new Error(reason));
    },
    gained(services, first) {
      loop.state.stateFresh = false;
      if (first) scheduler.request({ trigger: "startup" });
      else for (const service of services) scheduler.request({ trigger: "reconcile", service });
    },
    letGo: (services) => letGo(loop, services),
  };
}

import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { Applyer } from "../applyers/applyer.js";
import type { Clock, CronScheduler, Timers } from "./clock.js";
import type { Config, ServiceConfig } from "./config/types.js";
import type { KubeObject, ObjectRef } from "./render/types.js";
import type { Source } from "./source/source.js";
import {
  type AuditEvent,
  type ControllerState,
  emptyState,
  type ServiceState,
  type Trigger,
  withEvents,
} from "./state/state.js";
import type { StateStore } from "./state/store.js";
import { syncRepository } from "./sync/repo-sync.js";
import type { SyncResult } from "./sync/result.js";

/** SyncRequest asks for a sync: of everything, of one repository, or of one service. */
export interface SyncRequest {
  readonly trigger: Trigger;
  readonly repoKey?: string;
  readonly service?: string;
}

/** ControllerDeps are the controller's collaborators; every side effect comes in through here. */
export interface ControllerDeps {
  readonly config: Config;
  readonly source: Source;
  readonly applyer: Applyer;
  readonly store: StateStore;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly cron?: CronScheduler;
  readonly log: Logger;
  readonly dryRun?: boolean;
  readonly readObject?: (ref: ObjectRef) => Promise<KubeObject | undefined>;
  readonly healthTimeoutMs?: number;
  /** isLeader gates applying: a follower serves status but never syncs. Default: always the leader. */
  readonly isLeader?: () => boolean;
  /** listeners hear every SyncResult after it is recorded: notifications, metrics. They must not throw. */
  readonly listeners?: readonly ((result: SyncResult) => void)[];
  /** onPoll hears the outcome of each repository's poll, for metrics. It must not throw. */
  readonly onPoll?: (outcome: {
    repoKey: string;
    status: "changed" | "unchanged" | "failed";
    durationMs: number;
  }) => void;
  /** random for the poll jitter; injected so tests are exact. */
  readonly random?: () => number;
}

/** Controller is the running loop: it polls, applies, records, and answers sync requests one run at a time. */
export interface Controller {
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
  /** stop ends timers and schedules, waits up to `graceMs` for the current run, then saves nothing more. */
  stop(options?: { graceMs?: number }): Promise<{ abandoned: boolean }>;
}

const JITTER = 0.1;
const TRIGGER_PRIORITY: readonly Trigger[] = ["manual", "webhook", "schedule", "startup", "poll"];

/**
 * createController wires the loop. Runs never overlap; requests that arrive during a run are coalesced into one
 * follow-up run. Services with a `schedule` sync only on their cron schedule (or when asked for by name).
 */
export function createController(deps: ControllerDeps): Controller {
  const { config, log, clock, timers } = deps;
  let state: ControllerState = emptyState();
  let stateStoreReachable = false;
  let firstSyncStarted = false;
  // True while the in-memory state is what the store holds: after a load, and while this process leads and writes.
  let stateFresh = false;
  let stopped = false;
  let pending: SyncRequest[] = [];
  let running: Promise<SyncResult[]> | undefined;
  let cancelPoll: (() => void) | undefined;
  const cronTasks: { stop(): void }[] = [];
  const intervalMs = config.pollIntervalSeconds * 1000;

  async function record(result: SyncResult, serviceState: ServiceState): Promise<void> {
    const events = auditEvents(result);
    state = withEvents({ ...state, services: { ...state.services, [result.service]: serviceState } }, events);
    logResult(log, result);
    try {
      await deps.store.save(state);
      stateStoreReachable = true;
    } catch (error: unknown) {
      await saveAfterConflict(result.service, serviceState, events, error);
    }
    for (const listener of deps.listeners ?? []) listener(result);
  }

  /**
   * saveAfterConflict handles a save the store refused: another writer (a previous leader) may have saved since we
   * loaded. Its state is re-read and this service's record laid over it, once. If that fails too, the apply still
   * happened: it stays in memory and is saved with the next record; a restart re-applies it, which server-side
   * apply makes a no-op.
   */
  async function saveAfterConflict(
    service: string,
    serviceState: ServiceState,
    events: readonly AuditEvent[],
    error: unknown,
  ): Promise<void> {
    try {
      const fresh = await deps.store.load();
      state = withEvents({ ...fresh, services: { ...fresh.services, [service]: serviceState } }, events);
      await deps.store.save(state);
      stateStoreReachable = true;
      log.warn(
        { err: error, store: deps.store.name },
        "the stored state had changed; merged this service into it",
      );
    } catch (retryError: unknown) {
      stateStoreReachable = false;
      log.error(
        { err: retryError, store: deps.store.name },
        "cannot save the state; will retry with the next result",
      );
    }
  }

  function selected(
    batch: readonly SyncRequest[],
    service: ServiceConfig,
    includeScheduled: boolean,
  ): Trigger | undefined {
    const now = clock.now();
    let trigger: Trigger | undefined;
    for (const request of batch) {
      const named = request.service === service.name;
      if (request.service !== undefined && !named) continue;
      if (request.repoKey !== undefined && request.repoKey !== service.repoKey) continue;
      if (service.schedule && !named && !includeScheduled && request.trigger !== "schedule") continue;
      const retryAfter = state.services[service.name]?.retryAfter;
      if (request.trigger === "poll" && retryAfter && Date.parse(retryAfter) > now) continue;
      if (!trigger || TRIGGER_PRIORITY.indexOf(request.trigger) < TRIGGER_PRIORITY.indexOf(trigger))
        trigger = request.trigger;
    }
    return trigger;
  }

  async function runBatch(batch: readonly SyncRequest[], includeScheduled: boolean): Promise<SyncResult[]> {
    if (deps.isLeader && !deps.isLeader()) {
      // A follower applies nothing, but keeps its status API current with what the leader records.
      await loadState().catch((error: unknown) =>
        log.warn({ err: error }, "follower: cannot read the state"),
      );
      // Another process writes the state while this one follows, so this copy goes stale at once.
      stateFresh = false;
      return [];
    }
    if (!stateFresh) {
      // Just became the leader: start from what the previous leader recorded, not from a stale copy.
      await loadState();
    }
    firstSyncStarted = true;
    const results: SyncResult[] = [];
    for (const repo of config.repos) {
      const chosen = config.services
        .filter((service) => service.repoKey === repo.key)
        .map((service) => ({ service, trigger: selected(batch, service, includeScheduled) }))
        .filter(
          (entry): entry is { service: ServiceConfig; trigger: Trigger } => entry.trigger !== undefined,
        );
      if (chosen.length === 0) continue;
      const trigger =
        chosen
          .map((entry) => entry.trigger)
          .sort((a, b) => TRIGGER_PRIORITY.indexOf(a) - TRIGGER_PRIORITY.indexOf(b))[0] ?? "poll";
      const pollStarted = clock.now();
      const repoResults = await syncRepository(
        { repo, services: chosen.map((entry) => entry.service), states: state.services, trigger },
        {
          source: deps.source,
          applyer: deps.applyer,
          clock,
          log,
          dryRun: deps.dryRun ?? false,
          prune: config.prune,
          healthTimeoutMs: deps.healthTimeoutMs ?? 0,
          retryBaseMs: intervalMs,
          record,
          announce: (result) => {
            for (const listener of deps.listeners ?? []) listener(result);
          },
          ...(deps.readObject ? { readObject: deps.readObject } : {}),
          ...(config.namespaces ? { namespaces: config.namespaces } : {}),
          ...(config.downloadBaseUrl ? { downloadBaseUrl: config.downloadBaseUrl } : {}),
        },
      );
      const outcome = {
        repoKey: repo.key,
        status: pollStatus(repoResults),
        durationMs: clock.now() - pollStarted,
      };
      log.info(
        { repo: `${repo.owner}/${repo.name}@${repo.branch}`, trigger, ...outcome },
        `poll: ${outcome.status}`,
      );
      deps.onPoll?.(outcome);
      results.push(...repoResults);
    }
    return results;
  }

  async function loop(includeScheduled: boolean): Promise<SyncResult[]> {
    const all: SyncResult[] = [];
    while (pending.length > 0 && !stopped) {
      const batch = pending;
      pending = [];
      all.push(...(await runBatch(batch, includeScheduled)));
    }
    return all;
  }

  function drain(includeScheduled = false): Promise<SyncResult[]> {
    if (!running) {
      running = loop(includeScheduled).finally(() => {
        running = undefined;
      });
    }
    return running;
  }

  function schedulePoll(): void {
    if (stopped) return;
    const jitter = 1 + JITTER * (2 * (deps.random ?? Math.random)() - 1);
    cancelPoll = timers.after(() => {
      controller.requestSync({ trigger: "poll" });
      schedulePoll();
    }, intervalMs * jitter);
  }

  async function loadState(): Promise<void> {
    state = await deps.store.load();
    stateStoreReachable = true;
    stateFresh = true;
  }

  const controller: Controller = {
    async start() {
      await loadState();
      for (const service of config.services) {
        if (!service.schedule || !deps.cron) continue;
        cronTasks.push(
          deps.cron(service.schedule, () =>
            controller.requestSync({ trigger: "schedule", service: service.name }),
          ),
        );
      }
      controller.requestSync({ trigger: "startup" });
      schedulePoll();
    },
    async runOnce() {
      await loadState();
      pending.push({ trigger: "startup" });
      return drain(true);
    },
    requestSync(request) {
      if (stopped) return { accepted: false, reason: "shutting down" };
      if (request.service && !config.services.some((service) => service.name === request.service)) {
        return { accepted: false, reason: `unknown service ${request.service}` };
      }
      pending.push(request);
      void drain().catch((error: unknown) => log.error({ err: error }, "sync run failed"));
      return { accepted: true };
    },
    getState: () => state,
    status: () => ({ stateStoreReachable, firstSyncStarted, running: running !== undefined }),
    async idle() {
      while (running) await running.catch(() => undefined);
    },
    async stop(options = {}) {
      stopped = true;
      cancelPoll?.();
      for (const task of cronTasks) task.stop();
      pending = [];
      const current = running;
      if (!current) return { abandoned: false };
      let timedOut = false;
      await Promise.race([
        current.catch(() => undefined),
        clock.sleep(options.graceMs ?? 20_000).then(() => {
          timedOut = true;
        }),
      ]);
      if (timedOut)
        log.warn(
          "shutdown: abandoned the sync in progress; its service was not recorded and will be retried",
        );
      return { abandoned: timedOut };
    },
  };
  return controller;
}

/** pollStatus sums up one repository's poll: a source failure, no change, or something to apply. */
function pollStatus(results: readonly SyncResult[]): "changed" | "unchanged" | "failed" {
  if (results.some((result) => result.status === "failed" && result.error?.code.startsWith("E_SOURCE")))
    return "failed";
  return results.every((result) => result.status === "unchanged") ? "unchanged" : "changed";
}

function auditEvents(result: SyncResult): AuditEvent[] {
  if (result.status === "unchanged" || result.status === "skipped") return [];
  const base = {
    time: result.startedAt,
    trigger: result.trigger,
    service: result.service,
    repo: result.repo,
    commit: result.commit ?? "",
    durationMs: result.durationMs,
  };
  const events: AuditEvent[] = [
    {
      ...base,
      id: randomUUID(),
      kind: "apply",
      result: result.status === "failed" ? "failed" : "succeeded",
      objects: result.objects.map(({ kind, namespace, name, action }) => ({
        kind,
        name,
        action,
        ...(namespace ? { namespace } : {}),
      })),
      ...(result.error ? { error: result.error.message } : {}),
    },
  ];
  if (result.pruned.length > 0) {
    events.push({
      ...base,
      id: randomUUID(),
      kind: "prune",
      result: result.pruned.some((object) => object.action === "failed") ? "failed" : "succeeded",
      objects: result.pruned.map(({ kind, namespace, name, action }) => ({
        kind,
        name,
        action,
        ...(namespace ? { namespace } : {}),
      })),
    });
  }
  return events;
}

function logResult(log: Logger, result: SyncResult): void {
  const fields = {
    service: result.service,
    repo: result.repo,
    commit: result.commit,
    trigger: result.trigger,
    dryRun: result.dryRun,
  };
  for (const object of result.objects) {
    log.info(
      {
        ...fields,
        kind: object.kind,
        namespace: object.namespace,
        name: object.name,
        action: object.action,
        message: object.message,
      },
      "object applied",
    );
  }
  for (const object of result.pruned) {
    log.info(
      { ...fields, kind: object.kind, namespace: object.namespace, name: object.name, action: object.action },
      "object pruned",
    );
  }
  const summary = {
    ...fields,
    status: result.status,
    durationMs: result.durationMs,
    files: result.files,
    warnings: result.warnings,
  };
  if (result.status === "failed") log.error({ ...summary, error: result.error }, "sync failed");
  else log.info(summary, result.status === "unchanged" ? "service: no change" : "sync applied");
}

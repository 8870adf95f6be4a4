import type { Logger } from "pino";
import type { Applyer } from "../../applyers/applyer.js";
import type { Clock, CronScheduler, Timers } from "../../common/clock.js";
import { mapLimit } from "../../common/map-limit.js";
import type { Config, ServiceConfig } from "../config/types.js";
import { createParseCache } from "../desired/desired-set.js";
import { kustomizeOptions } from "../desired/kustomize/build.js";
import type { ReleaseProbe } from "../desired/release-probe.js";
import type { KubeObject, ObjectRef } from "../desired/render/types.js";
import { ownerLookup } from "../record/owners.js";
import { createRecorder } from "../record/recorder.js";
import type { SyncResult } from "../record/result.js";
import type { ControllerState, Trigger } from "../record/state/state.js";
import type { StateStore } from "../record/state/store.js";
import type { Source } from "../source/source.js";
import { type SyncStart, syncRepository } from "../sync/repo-sync.js";
import type { ServiceSyncDeps } from "../sync/service-sync.js";
import { createScheduler, type SyncRequest, strongestTrigger, triggerFor } from "./scheduler.js";

export type { SyncRequest } from "./scheduler.js";

/** POLL_CONCURRENCY bounds how many repositories are polled (and their services synced) at the same time. */
export const POLL_CONCURRENCY = 8;

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
  /** dryRunApply is a server-side dry-run apply, for `drift: report` (see ServiceSyncDeps). */
  readonly dryRunApply?: ServiceSyncDeps["dryRunApply"];
  /** isLeader gates applying: a follower serves status but never syncs. Default: always the leader. */
  readonly isLeader?: () => boolean;
  /** installNamespace is the controller's own namespace: git may not touch the install's objects there. */
  readonly installNamespace?: string;
  /** listeners hear every SyncResult after it is recorded: notifications, metrics. They must not throw. */
  readonly listeners?: readonly ((result: SyncResult) => void)[];
  /** onSyncStart hears each service's sync of a commit begin, before its result (commit statuses). Must not throw. */
  readonly onSyncStart?: (start: SyncStart) => void;
  /** onPoll hears the outcome of each repository's poll, for metrics. It must not throw. */
  readonly onPoll?: (outcome: {
    repoKey: string;
    status: "changed" | "unchanged" | "failed";
    durationMs: number;
  }) => void;
  /** releaseProbe decides `stateless: auto` (see render-set.ts); without it such services are applied as written. */
  readonly releaseProbe?: ReleaseProbe;
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
  /**
   * stop ends timers and schedules and waits up to `graceMs` for the current run; past that it aborts the run and
   * waits for it to stop (its calls end at once), so nothing is written after stop resolves.
   */
  stop(options?: { graceMs?: number }): Promise<{ abandoned: boolean }>;
  /** abort stops the run in progress before its next write, e.g. when this replica lost the leader Lease. */
  abort(reason: string): void;
}

/**
 * createController wires the loop: a scheduler that runs one batch of requests at a time, a recorder that owns the
 * state, and per repository one poll and the syncs of the services it asks for. Services with a `schedule` sync
 * only on their cron schedule (or when asked for by name).
 */
export function createController(deps: ControllerDeps): Controller {
  const { config, log, clock } = deps;
  const listeners = deps.listeners ?? [];
  const recorder = createRecorder({ store: deps.store, config, clock, log, listeners });
  const parseCache = createParseCache();
  const ownerOf = ownerLookup(() => recorder.state());
  let firstSyncStarted = false;
  let stopped = false;
  // True while the in-memory state is what the store holds: after a load, and while this process leads and writes.
  let stateFresh = false;
  let inFlight: AbortController | undefined;
  const intervalMs = config.pollIntervalSeconds * 1000;
  // Repositories sync concurrently; their results are saved one at a time, so no save overtakes a later one.
  let recording: Promise<void> = Promise.resolve();
  const recordInTurn: typeof recorder.record = (...args) => {
    const next = recording.then(() => recorder.record(...args));
    recording = next.catch(() => undefined);
    return next;
  };

  async function loadState(): Promise<void> {
    await recorder.load();
    stateFresh = true;
  }

  async function runBatch(batch: readonly SyncRequest[], includeScheduled: boolean): Promise<SyncResult[]> {
    if (deps.isLeader && !deps.isLeader()) {
      // A follower applies nothing, but keeps its status API current with what the leader records.
      await recorder
        .load()
        .catch((error: unknown) => log.warn({ err: error }, "follower: cannot read the state"));
      // Another process writes the state while this one follows, so this copy goes stale at once.
      stateFresh = false;
      return [];
    }
    // Just became the leader: start from what the previous leader recorded, not from a stale copy.
    if (!stateFresh) await loadState();
    firstSyncStarted = true;
    const aborter = new AbortController();
    inFlight = aborter;
    try {
      return await syncRepos(batch, includeScheduled, aborter.signal);
    } catch (error: unknown) {
      if (!aborter.signal.aborted) throw error;
      log.warn(
        { reason: (aborter.signal.reason as Error).message },
        "sync aborted; what it had not recorded will be synced again",
      );
      return [];
    } finally {
      inFlight = undefined;
    }
  }

  async function syncRepos(
    batch: readonly SyncRequest[],
    includeScheduled: boolean,
    signal: AbortSignal,
  ): Promise<SyncResult[]> {
    // Repositories are polled side by side, a few at a time: one whose poll hangs (GitHub slow for it, a long
    // health wait) does not hold back the others. Results keep the config's order.
    const perRepo = await mapLimit(config.repos, POLL_CONCURRENCY, async (repo): Promise<SyncResult[]> => {
      const chosen = chosenServices(batch, repo.key, includeScheduled);
      if (chosen.length === 0) return [];
      const trigger = strongestTrigger(chosen.map((entry) => entry.trigger)) ?? "poll";
      const pollStarted = clock.now();
      const repoResults = await syncRepository(
        { repo, services: chosen, states: recorder.state().services },
        {
          source: deps.source,
          applyer: deps.applyer,
          clock,
          log,
          parseCache,
          kustomize: kustomizeOptions(config),
          dryRun: deps.dryRun ?? false,
          prune: config.prune,
          healthTimeoutMs: deps.healthTimeoutMs ?? 0,
          retryBaseMs: intervalMs,
          record: recordInTurn,
          wait: recorder.wait,
          ownerOf,
          signal,
          announce: (result) => {
            for (const listener of listeners) listener(result);
          },
          ...(deps.onSyncStart ? { onSyncStart: deps.onSyncStart } : {}),
          ...(deps.readObject ? { readObject: deps.readObject } : {}),
          ...(deps.dryRunApply ? { dryRunApply: deps.dryRunApply } : {}),
          ...(config.namespaces ? { namespaces: config.namespaces } : {}),
          ...(config.clusterKinds ? { clusterKinds: config.clusterKinds } : {}),
          ...(deps.installNamespace ? { installNamespace: deps.installNamespace } : {}),
          ...(config.downloadBaseUrl ? { downloadBaseUrl: config.downloadBaseUrl } : {}),
          ...(deps.releaseProbe ? { releaseProbe: deps.releaseProbe } : {}),
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
      return repoResults;
    });
    return perRepo.flat();
  }

  function chosenServices(
    batch: readonly SyncRequest[],
    repoKey: string,
    includeScheduled: boolean,
  ): { service: ServiceConfig; trigger: Trigger }[] {
    return config.services
      .filter((service) => service.repoKey === repoKey)
      .map((service) => ({ service, trigger: triggerFor(batch, service, includeScheduled) }))
      .filter((entry): entry is { service: ServiceConfig; trigger: Trigger } => entry.trigger !== undefined);
  }

  const scheduler = createScheduler<SyncResult>({
    run: runBatch,
    services: config.services,
    intervalMs,
    clock,
    timers: deps.timers,
    log,
    ...(deps.cron ? { cron: deps.cron } : {}),
    ...(deps.random ? { random: deps.random } : {}),
  });

  return {
    async start() {
      await loadState();
      scheduler.start();
      scheduler.request({ trigger: "startup" });
    },
    async runOnce() {
      await loadState();
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
      firstSyncStarted,
      running: scheduler.running(),
    }),
    idle: () => scheduler.idle(),
    async stop(options = {}) {
      stopped = true;
      const { abandoned } = await scheduler.stop(options.graceMs ?? 20_000);
      if (abandoned) {
        inFlight?.abort(new Error("shutting down"));
        // Aborted calls end at once; only then may a new leader take over (main releases the Lease after this).
        await scheduler.idle();
        log.warn("shutdown: aborted the sync in progress; what it had not recorded will be retried");
      }
      return { abandoned };
    },
    abort(reason) {
      inFlight?.abort(new Error(reason));
    },
  };
}

/** pollStatus sums up one repository's poll: a source failure, no change, or something to apply. */
function pollStatus(results: readonly SyncResult[]): "changed" | "unchanged" | "failed" {
  if (results.some((result) => result.status === "failed" && result.error?.code.startsWith("E_SOURCE")))
    return "failed";
  return results.every((result) => result.status === "unchanged") ? "unchanged" : "changed";
}

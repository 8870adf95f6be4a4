import { collectDefaultMetrics, Registry } from "prom-client";
import type { SyncResult } from "../record/result.js";
import { type BuiltTable, buildMetrics, METRICS } from "./metric-table.js";

/**
 * METRIC_PREFIX starts every metric of the controller's own; the process and Node.js metrics keep their standard
 * names (`process_cpu_seconds_total`, `nodejs_heap_size_total_bytes`, …) so stock dashboards match them.
 */
export const METRIC_PREFIX = "simple_gitops_";

/**
 * EVENT_LOOP_RESOLUTION_MS is how often the event-loop delay histogram behind `nodejs_eventloop_lag_*` samples.
 * prom-client's default, 10 ms, wakes an idle process 100 times a second: most of its CPU at rest (issue 32).
 */
const EVENT_LOOP_RESOLUTION_MS = 1_000;

/** PollOutcome is what a poll of one repository reports to metrics. */
export interface PollOutcome {
  readonly repoKey: string;
  readonly status: "changed" | "unchanged" | "failed";
  readonly durationMs?: number;
}

/**
 * ControllerMetrics owns the Prometheus registry and is the only place metrics are updated, each from data the
 * loop already has (a SyncResult, a poll outcome, a GitHub response), so metrics cannot disagree with the status API.
 */
export interface ControllerMetrics {
  readonly registry: Registry;
  observeSync(result: SyncResult): void;
  observePoll(outcome: PollOutcome): void;
  /** observeGithubRequest counts one GitHub API response by status code ("error" when there was no response). */
  observeGithubRequest(status: number | "error"): void;
  setRateLimitRemaining(remaining: number, resource?: string): void;
  setLeader(leader: boolean): void;
  /** setPoolSize says how many service syncs may run at once now (the pool of service syncs). */
  setPoolSize(size: number): void;
  /**
   * observeShards sets each live member's service count as `member` last read them (members gone are dropped), and
   * the services it took over from others since it started (`moves`, a running total).
   */
  observeShards(member: string, counts: readonly { member: string; services: number }[], moves: number): void;
  /** setSuspended says whether a service is suspended, as the state says after each load and change. */
  setSuspended(service: string, suspended: boolean): void;
}

/** createMetrics builds a fresh registry (never the global one, so tests and instances never share counters). */
export function createMetrics(options: { defaultMetrics?: boolean } = {}): ControllerMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true)
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_RESOLUTION_MS });
  const metrics = buildMetrics(METRICS, registry);
  const landed = new Map<string, LandedLabels>();
  let movesSeen = 0;
  return {
    registry,
    observeSync: (result) => observeSync(metrics, landed, result),
    observePoll(outcome) {
      metrics.polls.inc({ repo: outcome.repoKey, result: outcome.status });
      if (outcome.durationMs !== undefined) {
        metrics.pollDuration.observe({ repo: outcome.repoKey }, outcome.durationMs / 1000);
      }
    },
    observeGithubRequest(status) {
      metrics.githubRequests.inc({ status: String(status) });
    },
    setRateLimitRemaining(remaining, resource = "core") {
      metrics.rateLimit.set({ resource }, remaining);
    },
    setLeader(isLeader) {
      metrics.leader.set(isLeader ? 1 : 0);
    },
    setPoolSize(size) {
      metrics.poolSize.set(size);
    },
    observeShards(member, counts, moves) {
      metrics.shardServices.reset();
      for (const count of counts) metrics.shardServices.set({ member: count.member }, count.services);
      metrics.shardMoves.inc({ member }, Math.max(0, moves - movesSeen));
      movesSeen = Math.max(movesSeen, moves);
    },
    setSuspended(service, suspended) {
      metrics.suspended.set({ service }, suspended ? 1 : 0);
    },
  };
}

/** LandedLabels are the labels of a service's info series: the commit that landed, and where it came from. */
type LandedLabels = Record<"service" | "commit" | "repo", string>;

/**
 * observeSync counts one sync of one service, its objects, its duration and its drift, and says whether the service
 * landed: its ready gauge, and when it landed, its time and its info series.
 */
function observeSync(
  metrics: BuiltTable<typeof METRICS>,
  landed: Map<string, LandedLabels>,
  result: SyncResult,
): void {
  // A dry run applied nothing, so it must not look like a deployment on a dashboard.
  if (result.dryRun) return;
  const service = { service: result.service };
  metrics.syncs.inc({ ...service, result: result.status });
  for (const object of result.objects) metrics.objects.inc({ ...service, action: object.action });
  metrics.applyDuration.observe(service, result.durationMs / 1000);
  if (result.drift) {
    metrics.driftObjects.set(service, result.drift.objects.length);
    if (result.drift.mode === "correct" && result.status !== "failed")
      metrics.driftCorrections.inc(service, result.drift.objects.length);
  }
  const isLanded = result.status === "applied" || result.status === "unchanged";
  // A rollback after a failed commit landed the older set: the commit last synced did not land.
  const rolledBack = result.rollback?.failedCommit !== undefined;
  if (rolledBack)
    metrics.rollbacks.inc({ ...service, result: result.status === "failed" ? "failed" : "succeeded" });
  metrics.serviceReady.set(service, isLanded && !rolledBack ? 1 : 0);
  if (isLanded) {
    const finished = Date.parse(result.startedAt) + result.durationMs;
    if (!Number.isNaN(finished)) metrics.lastSuccess.set(service, finished / 1000);
    if (result.commit) showLanded(metrics, landed, { ...service, commit: result.commit, repo: result.repo });
  }
}

/** showLanded sets a service's info series, dropping the one of the commit it replaces so only one is ever 1. */
function showLanded(
  metrics: BuiltTable<typeof METRICS>,
  landed: Map<string, LandedLabels>,
  labels: LandedLabels,
): void {
  const before = landed.get(labels.service);
  if (before && (before.commit !== labels.commit || before.repo !== labels.repo))
    metrics.serviceInfo.remove(before);
  metrics.serviceInfo.set(labels, 1);
  landed.set(labels.service, labels);
}

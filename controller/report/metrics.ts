import { collectDefaultMetrics, Registry } from "prom-client";
import type { SyncResult } from "../record/result.js";
import { type BuiltTable, buildMetrics, METRICS } from "./metric-table.js";

/** METRIC_PREFIX starts every metric this controller exports. */
export const METRIC_PREFIX = "simple_gitops_";

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
}

/** createMetrics builds a fresh registry (never the global one, so tests and instances never share counters). */
export function createMetrics(options: { defaultMetrics?: boolean } = {}): ControllerMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  const metrics = buildMetrics(METRICS, registry);
  return {
    registry,
    observeSync: (result) => observeSync(metrics, result),
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
  };
}

/** observeSync counts one sync of one service, its objects, its duration, its drift and, when it landed, its time. */
function observeSync(metrics: BuiltTable<typeof METRICS>, result: SyncResult): void {
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
  if (result.status === "applied" || result.status === "unchanged") {
    const finished = Date.parse(result.startedAt) + result.durationMs;
    if (!Number.isNaN(finished)) metrics.lastSuccess.set(service, finished / 1000);
  }
}

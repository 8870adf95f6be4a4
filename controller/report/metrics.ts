import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { SyncResult } from "../record/result.js";

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
  const registers = [registry];

  const polls = new Counter({
    name: `${METRIC_PREFIX}polls_total`,
    help: "Polls of a repository branch, by outcome (changed, unchanged, failed).",
    labelNames: ["repo", "result"] as const,
    registers,
  });
  const pollDuration = new Histogram({
    name: `${METRIC_PREFIX}poll_duration_seconds`,
    help: "Time one poll of a repository branch took.",
    labelNames: ["repo"] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const githubRequests = new Counter({
    name: `${METRIC_PREFIX}github_requests_total`,
    help: "GitHub API responses by HTTP status code (304s are free against the rate limit).",
    labelNames: ["status"] as const,
    registers,
  });
  const rateLimit = new Gauge({
    name: `${METRIC_PREFIX}github_rate_limit_remaining`,
    help: "Requests left in the current GitHub rate-limit window, as last reported by GitHub.",
    labelNames: ["resource"] as const,
    registers,
  });
  const syncs = new Counter({
    name: `${METRIC_PREFIX}applies_total`,
    help: "Service syncs by result (applied, unchanged, failed, skipped).",
    labelNames: ["service", "result"] as const,
    registers,
  });
  const objects = new Counter({
    name: `${METRIC_PREFIX}objects_applied_total`,
    help: "Objects sent to the cluster, by what applying did (created, configured, unchanged, failed).",
    labelNames: ["service", "action"] as const,
    registers,
  });
  const applyDuration = new Histogram({
    name: `${METRIC_PREFIX}apply_duration_seconds`,
    help: "Time one service sync took, from plan to prune.",
    labelNames: ["service"] as const,
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers,
  });
  const lastSuccess = new Gauge({
    name: `${METRIC_PREFIX}last_successful_sync_timestamp_seconds`,
    help: "Unix time at which the last successful sync of a service finished.",
    labelNames: ["service"] as const,
    registers,
  });
  const driftObjects = new Gauge({
    name: `${METRIC_PREFIX}drift_objects`,
    help: "Objects the last reconcile of a service found different from git or missing.",
    labelNames: ["service"] as const,
    registers,
  });
  const driftCorrections = new Counter({
    name: `${METRIC_PREFIX}drift_corrections_total`,
    help: "Drifted objects a reconcile put back to what git says (drift: correct).",
    labelNames: ["service"] as const,
    registers,
  });
  const leader = new Gauge({
    name: `${METRIC_PREFIX}leader`,
    help: "1 while this replica holds the leader lease and applies, 0 otherwise.",
    registers,
  });

  return {
    registry,
    observeSync(result) {
      // A dry run applied nothing, so it must not look like a deployment on a dashboard.
      if (result.dryRun) return;
      syncs.inc({ service: result.service, result: result.status });
      for (const object of result.objects) objects.inc({ service: result.service, action: object.action });
      applyDuration.observe({ service: result.service }, result.durationMs / 1000);
      if (result.drift) {
        driftObjects.set({ service: result.service }, result.drift.objects.length);
        if (result.drift.mode === "correct" && result.status !== "failed")
          driftCorrections.inc({ service: result.service }, result.drift.objects.length);
      }
      if (result.status === "applied" || result.status === "unchanged") {
        const finished = Date.parse(result.startedAt) + result.durationMs;
        if (!Number.isNaN(finished)) lastSuccess.set({ service: result.service }, finished / 1000);
      }
    },
    observePoll(outcome) {
      polls.inc({ repo: outcome.repoKey, result: outcome.status });
      if (outcome.durationMs !== undefined) {
        pollDuration.observe({ repo: outcome.repoKey }, outcome.durationMs / 1000);
      }
    },
    observeGithubRequest(status) {
      githubRequests.inc({ status: String(status) });
    },
    setRateLimitRemaining(remaining, resource = "core") {
      rateLimit.set({ resource }, remaining);
    },
    setLeader(isLeader) {
      leader.set(isLeader ? 1 : 0);
    },
  };
}

import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** MetricSpec is one row of the metrics table: what `/metrics` says of a metric in its HELP and TYPE lines. */
export interface MetricSpec {
  readonly type: "counter" | "gauge" | "histogram";
  readonly name: string;
  readonly help: string;
  readonly labels: readonly string[];
  /** Histogram buckets, in seconds. */
  readonly buckets?: readonly number[];
}

/**
 * METRICS is every metric the controller exports. Names, labels and help texts are a contract dashboards and alerts
 * rely on (docs/metrics.md lists them): a row is added, never renamed.
 */
export const METRICS = {
  polls: {
    type: "counter",
    name: "simple_gitops_polls_total",
    help: "Polls of a repository branch, by outcome (changed, unchanged, failed).",
    labels: ["repo", "result"],
  },
  pollDuration: {
    type: "histogram",
    name: "simple_gitops_poll_duration_seconds",
    help: "Time one poll of a repository branch took.",
    labels: ["repo"],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  },
  githubRequests: {
    type: "counter",
    name: "simple_gitops_github_requests_total",
    help: "GitHub API responses by HTTP status code (304s are free against the rate limit).",
    labels: ["status"],
  },
  rateLimit: {
    type: "gauge",
    name: "simple_gitops_github_rate_limit_remaining",
    help: "Requests left in the current GitHub rate-limit window, as last reported by GitHub.",
    labels: ["resource"],
  },
  syncs: {
    type: "counter",
    name: "simple_gitops_applies_total",
    help: "Service syncs by result (applied, unchanged, failed, skipped).",
    labels: ["service", "result"],
  },
  objects: {
    type: "counter",
    name: "simple_gitops_objects_applied_total",
    help: "Objects sent to the cluster, by what applying did (created, configured, unchanged, failed).",
    labels: ["service", "action"],
  },
  applyDuration: {
    type: "histogram",
    name: "simple_gitops_apply_duration_seconds",
    help: "Time one service sync took, from plan to prune.",
    labels: ["service"],
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
  },
  lastSuccess: {
    type: "gauge",
    name: "simple_gitops_last_successful_sync_timestamp_seconds",
    help: "Unix time at which the last successful sync of a service finished.",
    labels: ["service"],
  },
  driftObjects: {
    type: "gauge",
    name: "simple_gitops_drift_objects",
    help: "Objects the last reconcile of a service found different from git or missing.",
    labels: ["service"],
  },
  driftCorrections: {
    type: "counter",
    name: "simple_gitops_drift_corrections_total",
    help: "Drifted objects a reconcile put back to what git says (drift: correct).",
    labels: ["service"],
  },
  leader: {
    type: "gauge",
    name: "simple_gitops_leader",
    help: "1 while this replica holds the leader lease and applies, 0 otherwise; with sharding, 1 on the first live member in name order, which alone runs pull request previews, while every member applies its own services.",
    labels: [],
  },
  poolSize: {
    type: "gauge",
    name: "simple_gitops_sync_pool_size",
    help: "How many service syncs may run at once now, as the apiserver's answers sized the pool.",
    labels: [],
  },
  shardServices: {
    type: "gauge",
    name: "simple_gitops_shard_services",
    help: "With sharding: the services each live member owns, as this member last read the members.",
    labels: ["member"],
  },
  shardMoves: {
    type: "counter",
    name: "simple_gitops_shard_moves_total",
    help: "With sharding: services this member took over from another member (sum it over the members).",
    labels: ["member"],
  },
  suspended: {
    type: "gauge",
    name: "simple_gitops_service_suspended",
    help: "1 while a service is suspended (nothing applied, corrected or pruned for it), 0 otherwise.",
    labels: ["service"],
  },
  serviceReady: {
    type: "gauge",
    name: "simple_gitops_service_ready",
    help: "1 when the last commit synced for a service landed whole and healthy, 0 when its last sync failed.",
    labels: ["service"],
  },
  serviceInfo: {
    type: "gauge",
    name: "simple_gitops_service_info",
    help: "1, labelled with the commit whose whole set last landed for a service and its repository branch.",
    labels: ["service", "commit", "repo"],
  },
  rollbacks: {
    type: "counter",
    name: "simple_gitops_rollbacks_total",
    help: "Rollbacks to the last landed set after a new commit failed to land (on_failure: rollback), by result (succeeded, failed).",
    labels: ["service", "result"],
  },
} as const satisfies Readonly<Record<string, MetricSpec>>;

/** Built is the prom-client metric a row builds, typed by its labels. */
export type Built<Spec extends MetricSpec> = Spec extends {
  readonly type: infer Type;
  readonly labels: readonly (infer Label extends string)[];
}
  ? Type extends "counter"
    ? Counter<Label>
    : Type extends "gauge"
      ? Gauge<Label>
      : Histogram<Label>
  : never;

/** BuiltTable is a table's metrics, under the table's keys. */
export type BuiltTable<Table extends Readonly<Record<string, MetricSpec>>> = {
  readonly [Key in keyof Table]: Built<Table[Key]>;
};

/** buildMetrics registers every row of `table` in `registry`, in the table's order (the order `/metrics` shows). */
export function buildMetrics<Table extends Readonly<Record<string, MetricSpec>>>(
  table: Table,
  registry: Registry,
): BuiltTable<Table> {
  const built = Object.entries(table).map(([key, spec]) => [key, buildMetric(spec, registry)]);
  return Object.fromEntries(built) as BuiltTable<Table>;
}

function buildMetric(spec: MetricSpec, registry: Registry): Counter | Gauge | Histogram {
  const configuration = { name: spec.name, help: spec.help, labelNames: spec.labels, registers: [registry] };
  switch (spec.type) {
    case "counter":
      return new Counter(configuration);
    case "gauge":
      return new Gauge(configuration);
    case "histogram":
      return new Histogram({ ...configuration, ...(spec.buckets ? { buckets: [...spec.buckets] } : {}) });
  }
}

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { SyncResult } from "../record/result.js";
import { type ControllerMetrics, createMetrics } from "./metrics.js";

interface Row {
  readonly name: string;
  readonly type: string;
  readonly labels: readonly string[];
  readonly help: string;
}

/** documented reads the metrics table of docs/metrics.md, the contract dashboards and alerts are written against. */
function documented(): Row[] {
  const text = readFileSync(new URL("../../docs/metrics.md", import.meta.url), "utf8");
  return text
    .split("\n")
    .filter((line) => line.startsWith("| `simple_gitops_"))
    .map((line) => {
      const [name = "", type = "", labels = "", meaning = ""] = line
        .split("|")
        .slice(1, -1)
        .map((cell) => cell.trim());
      return {
        name: name.replaceAll("`", ""),
        type,
        labels: [...labels.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? ""),
        // The page links further reading the help text does not carry.
        help: meaning.replace(/ \(see \[[^\]]*\]\([^)]*\)\)/, ""),
      };
    });
}

describe("createMetrics", () => {
  it("exports every metric with the name, type, labels and help docs/metrics.md gives it", async () => {
    const { registry } = createMetrics({ defaultMetrics: false });
    const exported = (await registry.getMetricsAsJSON()).map(
      (metric): Row => ({
        name: metric.name,
        type: String(metric.type),
        labels: (registry.getSingleMetric(metric.name) as unknown as { labelNames: string[] }).labelNames,
        help: metric.help,
      }),
    );
    expect(exported.length).toBeGreaterThan(0);
    expect(exported).toEqual(documented());
  });
});

const result = (overrides: Partial<SyncResult>): SyncResult => ({
  service: "web",
  repoKey: "r",
  repo: "org/gitops@main",
  commit: "c1",
  trigger: "poll",
  dryRun: false,
  status: "applied",
  startedAt: "2026-01-01T00:00:00.000Z",
  durationMs: 10,
  files: { changed: [], applied: [], failed: [], deleted: [] },
  objects: [],
  pruned: [],
  unhealthy: [],
  orphaned: [],
  ...overrides,
});

/** series is every labelled value of one metric, as `/metrics` would show it. */
async function series(metrics: ControllerMetrics, name: string): Promise<string[]> {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  return (await metric.get()).values.map(
    (value) =>
      `${Object.entries(value.labels)
        .map(([key, label]) => `${key}=${label}`)
        .join(",")} ${value.value}`,
  );
}

describe("service metrics", () => {
  it("says a service is ready while its last sync landed, and not after a failed one", async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.observeSync(result({ service: "web" }));
    metrics.observeSync(result({ service: "api", status: "unchanged" }));
    metrics.observeSync(result({ service: "db", status: "failed" }));
    expect((await series(metrics, "simple_gitops_service_ready")).sort()).toEqual([
      "service=api 1",
      "service=db 0",
      "service=web 1",
    ]);
    metrics.observeSync(result({ service: "web", status: "failed" }));
    metrics.observeSync(result({ service: "db" }));
    expect((await series(metrics, "simple_gitops_service_ready")).sort()).toEqual([
      "service=api 1",
      "service=db 1",
      "service=web 0",
    ]);
  });

  it("shows the landed commit as one info series per service, dropping the old commit's when it moves", async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const info = () => series(metrics, "simple_gitops_service_info");
    metrics.observeSync(result({ commit: "c1" }));
    metrics.observeSync(result({ service: "api", commit: "c1" }));
    expect((await info()).sort()).toEqual([
      "service=api,commit=c1,repo=org/gitops@main 1",
      "service=web,commit=c1,repo=org/gitops@main 1",
    ]);
    metrics.observeSync(result({ commit: "c2" }));
    // A failed commit did not land: the info series stays at the commit that did.
    metrics.observeSync(result({ service: "api", commit: "c3", status: "failed" }));
    expect((await info()).sort()).toEqual([
      "service=api,commit=c1,repo=org/gitops@main 1",
      "service=web,commit=c2,repo=org/gitops@main 1",
    ]);
  });

  it("counts the controller's rollbacks by result, and a rolled-back service as not ready", async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const rollback = { restoredCommit: "c1", failedCommit: "c2", at: "t", by: "simple-gitops", reason: "r" };
    metrics.observeSync(result({ trigger: "rollback", commit: "c1", rollback }));
    metrics.observeSync(result({ trigger: "rollback", commit: "c1", rollback, status: "failed" }));
    metrics.observeSync(result({ service: "api", trigger: "rollback", actor: "ana" }));
    expect((await series(metrics, "simple_gitops_rollbacks_total")).sort()).toEqual([
      "service=web,result=failed 1",
      "service=web,result=succeeded 1",
    ]);
    metrics.observeSync(result({ trigger: "rollback", commit: "c1", rollback }));
    expect((await series(metrics, "simple_gitops_service_ready")).sort()).toEqual([
      "service=api 1",
      "service=web 0",
    ]);
  });

  it("leaves ready and info alone on a dry run, which lands nothing", async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.observeSync(result({ dryRun: true }));
    expect(await series(metrics, "simple_gitops_service_ready")).toEqual([]);
    expect(await series(metrics, "simple_gitops_service_info")).toEqual([]);
  });

  it("exports the process and Node.js metrics under their standard names, without the project prefix", async () => {
    const names = (await createMetrics().registry.getMetricsAsJSON()).map((metric) => metric.name);
    expect(names).toEqual(
      expect.arrayContaining(["process_cpu_seconds_total", "nodejs_heap_size_total_bytes"]),
    );
    expect(names.filter((name) => !/^(simple_gitops|process|nodejs)_/.test(name))).toEqual([]);
  });
});

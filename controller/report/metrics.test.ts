import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createMetrics } from "./metrics.js";

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

import type { Machine } from "./machine.js";
import type { BenchResult, Row } from "./row.js";

/** Report is everything one `npm run bench` produced. */
export interface Report {
  readonly startedAt: string;
  readonly command: string;
  readonly totalSeconds: number;
  readonly machine: Machine;
  readonly benches: readonly BenchResult[];
}

/** formatNumber prints a figure with a precision that suits its size; ∞ for an unbounded one. */
export function formatNumber(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return "–";
  if (!Number.isFinite(value)) return "∞";
  const size = Math.abs(value);
  if (size >= 100) return String(Math.round(value));
  if (size >= 10) return value.toFixed(1);
  if (Number.isInteger(value)) return String(value);
  return size >= 1 ? value.toFixed(2) : value.toPrecision(2);
}

function formatRatio(row: Row): string {
  if (row.ratio === undefined) return "";
  if (!Number.isFinite(row.ratio)) return Number.isNaN(row.ratio) ? "–" : "∞";
  return `${row.ratio.toFixed(2)}×`;
}

function formatGoal(row: Row): string {
  if (row.goal === undefined) return "";
  return `${row.goal} ${row.met ? "✔ met" : "✘ missed"}`;
}

const HEADER = [
  "bench",
  "case",
  "metric",
  "value",
  "unit",
  "baseline",
  "baseline value",
  "ratio",
  "goal",
  "note",
] as const;

function cells(row: Row): string[] {
  return [
    row.bench,
    row.case,
    row.metric,
    formatNumber(row.value),
    row.unit,
    row.baseline ?? "",
    formatNumber(row.baselineValue),
    formatRatio(row),
    formatGoal(row),
    row.note ?? "",
  ];
}

function machineLine(machine: Machine): string {
  return `${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB RAM (${machine.freeMemoryGiB} free), Node ${machine.node}, ${machine.platform}, load average ${machine.loadAverage} at start`;
}

/** toMarkdown renders the report as a markdown page: machine, command, one table, and any benchmark that failed. */
export function toMarkdown(report: Report): string {
  const rows = report.benches.flatMap((bench) => bench.rows);
  const escapePipes = (text: string) => text.replaceAll("|", "\\|");
  const lines = [
    "# simple-gitops benchmarks",
    "",
    `- Command: \`${report.command}\``,
    `- Started: ${report.startedAt}; took ${Math.round(report.totalSeconds)} s`,
    `- Machine: ${machineLine(report.machine)}`,
    "- Ratio = value / baseline measured in the same run (above 1: slower, or more, than the baseline). Timings are medians; counts are exact.",
    "",
    `| ${HEADER.join(" | ")} |`,
    `| ${HEADER.map(() => "---").join(" | ")} |`,
    ...rows.map((row) => `| ${cells(row).map(escapePipes).join(" | ")} |`),
    "",
    "| bench | seconds | error |",
    "| --- | --- | --- |",
    ...report.benches.map(
      (bench) => `| ${bench.name} | ${Math.round(bench.seconds)} | ${escapePipes(bench.error ?? "")} |`,
    ),
    "",
  ];
  return lines.join("\n");
}

/** toJson renders the report as JSON; unbounded figures (∞) become the string "Infinity". */
export function toJson(report: Report): string {
  return `${JSON.stringify(
    report,
    (_key, value: unknown) => (typeof value === "number" && !Number.isFinite(value) ? String(value) : value),
    2,
  )}\n`;
}

/** toText renders the rows as an aligned plain-text table for the terminal. */
export function toText(report: Report): string {
  const rows = report.benches.flatMap((bench) => bench.rows).map(cells);
  const header = [...HEADER];
  const widths = header.map((title, i) =>
    Math.min(
      i === header.length - 1 ? 80 : 60,
      Math.max(title.length, ...rows.map((row) => (row[i] ?? "").length)),
    ),
  );
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [
    `Machine: ${machineLine(report.machine)}`,
    line(header),
    line(widths.map((width) => "-".repeat(width))),
    ...rows.map(line),
    ...report.benches.filter((bench) => bench.error).map((bench) => `FAILED ${bench.name}: ${bench.error}`),
    `Total: ${Math.round(report.totalSeconds)} s`,
  ].join("\n");
}

import { describe, expect, it } from "vitest";
import { type Row, withBaseline } from "../row.js";
import { withGoals } from "./goals.js";

const peerRow = (value: number, baselineValue: number): Row =>
  withBaseline({
    bench: "peer",
    case: "monitoring stack vs Flux, commit → applied",
    metric: "median",
    unit: "ms",
    value,
    baseline: "Flux",
    baselineValue,
    note: "5 commits",
  });

describe("withGoals", () => {
  it("marks a row within its goal as met and leaves its note alone", () => {
    const [row] = withGoals([peerRow(600, 1000)]);
    expect(row?.goal).toBe("≤ 0.7×");
    expect(row?.met).toBe(true);
    expect(row?.note).toBe("5 commits");
  });

  it("marks a row past its goal as missed and says why in its note", () => {
    const [row] = withGoals([peerRow(800, 1000)]);
    expect(row?.met).toBe(false);
    expect(row?.note?.startsWith("5 commits; missed: ")).toBe(true);
  });

  it("needs both halves of a two-part goal: the ratio and the absolute RSS", () => {
    const rss = (value: number, flux: number) =>
      withBaseline({
        bench: "peer",
        case: "RSS idle, 50 repositories",
        metric: "RSS",
        unit: "MiB",
        value,
        baseline: "Flux",
        baselineValue: flux,
      });
    const [small, large] = withGoals([rss(80, 240), rss(95, 300)]);
    expect(small?.met).toBe(true);
    expect(large?.met).toBe(false);
  });

  it("holds 10 000 services to absolute goals, and never mistakes them for the 1 000-service ratios", () => {
    const scale = (size: string, name: string, value: number): Row => ({
      bench: "scale",
      case: `${size} services, ${name}`,
      metric: name,
      unit: "",
      value,
    });
    const rows = withGoals([
      scale("10 000", "start → all landed", 599),
      scale("10 000", "peak RSS", 1024),
      scale("10 000", "GitHub requests", 3),
    ]);
    expect(rows.map((row) => [row.goal, row.met])).toEqual([
      ["≤ 600 s", true],
      ["< 1 GiB", false],
      ["≤ 3 a repository", true],
    ]);
  });

  it("leaves rows no goal speaks of untouched", () => {
    const row: Row = { bench: "github-cost", case: "1 service", metric: "requests", unit: "", value: 3 };
    expect(withGoals([row])).toEqual([row]);
  });
});

import { describe, expect, it } from "vitest";
import { withGoals } from "../peer/goals.js";
import type { Landing } from "../scale/land.js";
import { sumOf } from "./fleet.js";
import { type FleetLanding, fleetRows, floorSeconds } from "./rows.js";
import { spent } from "./usage.js";

const landing = (seconds: number, peakRssMiB = 0): Landing => ({ seconds, cpuSeconds: 0, peakRssMiB });
const fleet = (members: number, seconds: number, peaks: number[], moves = 0): FleetLanding => ({
  landing: landing(seconds),
  members,
  peaks,
  moves,
  readySeconds: 1,
  machineBusy: 1,
});

describe("fleetRows with issue 24's goals", () => {
  it("holds the 1 000-service fleet to its time and memory goals, against one member and against Flux", () => {
    const rows = withGoals(
      fleetRows(1_000, fleet(1, 100, [150]), fleet(3, 40, [90, 110, 100], 2), landing(200, 240)),
    );
    const by = (text: string) => rows.find((row) => row.case.includes(text));
    expect([by("3 members vs 1")?.ratio, by("3 members vs 1")?.met]).toEqual([0.4, true]);
    expect([by("3 members vs Flux")?.ratio, by("3 members vs Flux")?.met]).toEqual([0.2, true]);
    // The largest member's peak, not the sum, is set against Flux's.
    expect(by("peak RSS per member, 3 members")?.value).toBe(110);
    expect(by("peak RSS per member, 3 members")?.met).toBe(true);
    expect(by("peak RSS per member, 1 member")?.goal).toBeUndefined();
    expect(by("moved during start-up")?.value).toBe(2);
  });

  it("marks a fleet slower than 0.45× one member as missed, and leaves smaller sizes without goals", () => {
    const [thousand] = withGoals(fleetRows(1_000, fleet(1, 100, [150]), fleet(3, 50, [100, 100, 100])));
    expect(thousand?.met).toBe(false);
    expect(thousand?.note).toContain("missed: ");
    const hundred = withGoals(
      fleetRows(100, fleet(1, 10, [90]), fleet(3, 9, [80, 80, 80]), landing(20, 100)),
    );
    expect(hundred.filter((row) => row.goal !== undefined)).toEqual([]);
  });
});

describe("the floor of a fleet's time", () => {
  it("is one member's CPU and the cluster's spread over the cores, set against one member's time", () => {
    const one: FleetLanding = {
      ...fleet(1, 20, [150]),
      landing: { seconds: 20, cpuSeconds: 7, peakRssMiB: 150 },
      clusterCpuSeconds: 9,
    };
    const floor = fleetRows(1_000, one, fleet(3, 19, [100, 100, 100]), undefined, 2).find((row) =>
      row.case.includes("the soonest any fleet lands on 2 cores"),
    );
    expect([floor?.value, floor?.ratio]).toEqual([8, 0.4]);
    expect(floorSeconds(fleet(1, 20, [150]), 2)).toBeUndefined();
  });
});

describe("sumOf", () => {
  it("adds every labelled sample of one metric and no other", () => {
    const text = [
      "# HELP simple_gitops_shard_moves_total services taken over",
      "# TYPE simple_gitops_shard_moves_total counter",
      'simple_gitops_shard_moves_total{member="member-0"} 3',
      'simple_gitops_shard_moves_total{member="member-1"} 4',
      'simple_gitops_shard_moves_total_other{member="member-1"} 100',
      "simple_gitops_shard_services 7",
    ].join("\n");
    expect(sumOf(text, "simple_gitops_shard_moves_total")).toBe(7);
  });
});

describe("spent", () => {
  it("is the busy share of the jiffies between two samples, and the cluster's CPU between them", () => {
    const window = spent({ busy: 100, total: 400, cluster: 2 }, { busy: 250, total: 600, cluster: 5.5 });
    expect(window).toEqual({ machineBusy: 0.75, clusterCpuSeconds: 3.5 });
    expect(spent({ busy: 0, total: 0 }, { busy: 10, total: 20 })).toEqual({ machineBusy: 0.5 });
  });
});

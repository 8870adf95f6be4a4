import { availableParallelism } from "node:os";
import { type Row, withBaseline } from "../row.js";
import { OBJECTS_PER_SERVICE, SCALE_REPOS } from "../scale/fixtures.js";
import type { Landing } from "../scale/land.js";
import { FLUX, spaced } from "../scale/rows.js";
import type { Spent } from "./usage.js";

/**
 * FleetLanding is one fleet's first sync of one run: its landing, each member's peak RSS, the moves counted, and
 * where the time went (the members' start, the machine's CPU, the apiserver's and etcd's).
 */
export interface FleetLanding extends Spent {
  readonly landing: Landing;
  readonly members: number;
  /** Each member's peak RSS (VmHWM) in MiB when all landed. */
  readonly peaks: readonly number[];
  /** simple_gitops_shard_moves_total summed over the members when all landed. */
  readonly moves: number;
  /** First spawn → every member answered /healthz. */
  readonly readySeconds: number;
}

const largest = (fleet: FleetLanding) => Math.max(...fleet.peaks);
const round = (mib: number) => String(Math.round(mib));

/** where says where one fleet's time went: its start, its CPU, the apiserver's and etcd's, the machine's. */
function where(fleet: FleetLanding): string {
  const name = fleet.members === 1 ? "1 member" : `${fleet.members} members`;
  const cluster =
    fleet.clusterCpuSeconds === undefined
      ? ""
      : `, apiserver + etcd ${fleet.clusterCpuSeconds.toFixed(1)} CPU s`;
  return `${name}: every member up (/healthz) after ${fleet.readySeconds.toFixed(1)} s, members ${fleet.landing.cpuSeconds.toFixed(
    1,
  )} CPU s${cluster}, the machine's cores ${Math.round(fleet.machineBusy * 100)}% busy`;
}

/**
 * floorSeconds is the soonest any fleet could land what one member landed on a machine of `cores` shared with the
 * apiserver and etcd: the CPU that run took (the member's, the apiserver's, etcd's) spread over every core. Splitting
 * the services leaves every object to apply and to store once, and each member adds its own start, so no number of
 * members does it in less; undefined without the cluster's CPU.
 */
export function floorSeconds(one: FleetLanding, cores: number): number | undefined {
  if (one.clusterCpuSeconds === undefined) return undefined;
  return (one.landing.cpuSeconds + one.clusterCpuSeconds) / cores;
}

/**
 * fleetRows are one size's figures: a fleet's time from start to every service landed against one member's and
 * against Flux's, the floor this machine's cores set to it, the largest member's peak RSS against Flux's, and the
 * services that moved while the members started.
 */
export function fleetRows(
  services: number,
  one: FleetLanding,
  many: FleetLanding,
  flux?: Landing,
  cores = availableParallelism(),
): Row[] {
  const size = `${spaced(services)} services`;
  const name = `${many.members} members`;
  const failed = [
    one.landing.error && `1 member did not land: ${one.landing.error}`,
    many.landing.error && `${name} did not land: ${many.landing.error}`,
    flux?.error && `Flux did not land: ${flux.error}`,
  ]
    .filter(Boolean)
    .join("; ");
  const note = (...what: string[]) =>
    [
      `${spaced(services)} services × ${OBJECTS_PER_SERVICE} ConfigMaps over ${SCALE_REPOS} repositories; members started together, sharding: true, state: configmap`,
      ...what,
      failed,
    ]
      .filter(Boolean)
      .join("; ");
  const landedNote = "start of the first member → the last object seen by a watch on the apiserver";
  const rows: Row[] = [
    withBaseline({
      bench: "shards",
      case: `${size}, start → all landed, ${name} vs 1`,
      metric: "time",
      unit: "s",
      value: many.landing.seconds,
      baseline: "1 member (sharding: true)",
      baselineValue: one.landing.seconds,
      note: note(landedNote, where(one), where(many)),
    }),
  ];
  const floor = floorSeconds(one, cores);
  if (floor !== undefined) {
    rows.push(
      withBaseline({
        bench: "shards",
        case: `${size}, the soonest any fleet lands on ${cores} cores, vs 1 member`,
        metric: "time",
        unit: "s",
        value: floor,
        baseline: "1 member (sharding: true)",
        baselineValue: one.landing.seconds,
        note: note(
          `1 member's CPU (${one.landing.cpuSeconds.toFixed(1)} s) and the apiserver's and etcd's (${one.clusterCpuSeconds?.toFixed(
            1,
          )} s) over ${cores} cores: a fleet splits the services, not the objects the apiserver applies and stores`,
        ),
      }),
    );
  }
  if (flux) {
    rows.push(
      withBaseline({
        bench: "shards",
        case: `${size}, start → all landed, ${name} vs Flux`,
        metric: "time",
        unit: "s",
        value: many.landing.seconds,
        baseline: FLUX,
        baselineValue: flux.seconds,
        note: note(landedNote, "one Kustomization a service for Flux"),
      }),
    );
  }
  for (const fleet of [one, many]) {
    const row = {
      bench: "shards",
      case: `${size}, peak RSS per member, ${fleet.members === 1 ? "1 member" : name}`,
      metric: "peak RSS",
      unit: "MiB",
      value: largest(fleet),
      note: note(
        `the largest member's VmHWM when all landed (each: ${fleet.peaks.map(round).join(", ")}; sum ${round(
          fleet.peaks.reduce((sum, peak) => sum + peak, 0),
        )})${flux ? "; Flux = sum of its two processes" : ""}`,
      ),
    };
    rows.push(flux ? withBaseline({ ...row, baseline: FLUX, baselineValue: flux.peakRssMiB }) : row);
  }
  rows.push({
    bench: "shards",
    case: `${size}, services moved during start-up, ${name}`,
    metric: "moves",
    unit: "services",
    value: many.moves,
    note: note("simple_gitops_shard_moves_total summed over the members' /metrics when all landed"),
  });
  return rows;
}

/**
 * The sharding benchmark: one compiled controller against three started together as members of one fleet
 * (`sharding: true`, a Lease each), syncing 100, 500 and 1 000 services of a few ConfigMaps over 10 repositories,
 * from start to every object seen by a watch on the apiserver, with each member's peak RSS; against Flux with one
 * Kustomization a service, measured in the same run (by the scale benchmark when it ran, else here).
 */
import { fileURLToPath } from "node:url";
import { testClusterKubeconfig } from "./cluster.js";
import { ensureFlux } from "./peer/flux.js";
import { buildController } from "./peer/sg-process.js";
import type { Row } from "./row.js";
import { scaleRun } from "./scale/fixtures.js";
import { type Landing, land, runFlux, type ScaleContext, withScaleContext } from "./scale/land.js";
import { type FleetContender, memberPeaks, moves, runFleet } from "./shards/fleet.js";
import { type FleetLanding, fleetRows } from "./shards/rows.js";
import { sampleUsage, spent } from "./shards/usage.js";

/** ShardsOptions size the sharding benchmark. */
export interface ShardsOptions {
  readonly kubeconfig: string;
  /** Services of each run (100, 500, 1 000). */
  readonly sizes?: readonly number[];
  /** Members of the fleet set against one (3). */
  readonly members?: number;
  /** Flux landings the scale benchmark measured in this run, by services: not measured again. */
  readonly flux?: ReadonlyMap<number, Landing>;
  /** withFlux false leaves Flux out: 1 member against 3 only (true). */
  readonly withFlux?: boolean;
}

// One poll at start is what a landing measures, as in the scale benchmark.
const INTERVAL_SECONDS = 60;

/** timeoutMs bounds a landing, as the scale benchmark does. */
function timeoutMs(contender: "flux" | "sg", services: number): number {
  return 300_000 + services * (contender === "flux" ? 1_500 : 100);
}

async function measureFlux(ctx: ScaleContext, services: number): Promise<Landing> {
  const run = scaleRun(services, "shards-flux");
  process.stderr.write(`[bench] shards: Flux, ${services} services…\n`);
  const flux = await runFlux(ctx, run, INTERVAL_SECONDS);
  try {
    const landing = await land(ctx, flux, run, timeoutMs("flux", services));
    process.stderr.write(`[bench] shards: Flux, ${services} services: ${JSON.stringify(landing)}\n`);
    return landing;
  } finally {
    await flux.stop();
  }
}

async function measureFleet(ctx: ScaleContext, services: number, members: number): Promise<FleetLanding> {
  const run = scaleRun(services, `shards-${members}`);
  process.stderr.write(`[bench] shards: ${members} member(s), ${services} services…\n`);
  const fleet: FleetContender = await runFleet(ctx, run, members, INTERVAL_SECONDS);
  try {
    const landing = await land(ctx, fleet, run, timeoutMs("sg", services));
    const result: FleetLanding = {
      landing,
      members,
      peaks: await memberPeaks(fleet),
      moves: await moves(fleet),
      readySeconds: (fleet.readyAt - fleet.startedAt) / 1000,
      ...spent(fleet.before, await sampleUsage(ctx.kubeconfig)),
    };
    process.stderr.write(
      `[bench] shards: ${members} member(s), ${services} services: ${JSON.stringify(result)}\n`,
    );
    return result;
  } finally {
    await fleet.stop();
  }
}

/** benchShards runs every size: Flux (unless the scale benchmark did), then 1 member, then the fleet. */
export async function benchShards(options: ShardsOptions): Promise<Row[]> {
  const flux = options.withFlux === false ? { skipped: "left out (withFlux: false)" } : await ensureFlux();
  if (flux.skipped) process.stderr.write(`[bench] shards: Flux skipped: ${flux.skipped}\n`);
  await buildController();
  return withScaleContext(options.kubeconfig, async (ctx) => {
    const rows: Row[] = [];
    for (const services of options.sizes ?? [100, 500, 1_000]) {
      const baseline = flux.skipped
        ? undefined
        : (options.flux?.get(services) ?? (await measureFlux(ctx, services)));
      const one = await measureFleet(ctx, services, 1);
      const many = await measureFleet(ctx, services, options.members ?? 3);
      rows.push(...fleetRows(services, one, many, baseline));
    }
    if (flux.skipped)
      rows.push({
        bench: "shards",
        case: "Flux skipped",
        metric: "–",
        unit: "",
        value: Number.NaN,
        note: flux.skipped,
      });
    return rows;
  });
}

/**
 * Run alone, `npx tsx bench/shards.ts --sizes 500,1000 --no-flux` measures 1 member against 3 at some sizes without
 * the whole `npm run bench` and without Flux: what a change to the fleet costs, before and after, in minutes.
 */
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const index = process.argv.indexOf("--sizes");
  const sizes = index < 0 ? undefined : process.argv[index + 1]?.split(",").map(Number);
  const rows = await benchShards({
    kubeconfig: process.env.KUBECONFIG ?? (await testClusterKubeconfig()),
    ...(sizes ? { sizes } : {}),
    withFlux: !process.argv.includes("--no-flux"),
  });
  for (const row of rows) process.stdout.write(`${JSON.stringify(row)}\n`);
}

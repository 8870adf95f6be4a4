/**
 * The scale benchmark: simple-gitops compiled (`node dist/controller/main.js`, as the image runs it, with the heap
 * Node gives itself in a pod limited to 1 GiB: `POD_HEAP_ENV` in scale/land.ts) syncing 100, 1 000 and 10 000
 * services of a few ConfigMaps each, spread over 10 repositories, from process start to every object seen by a watch
 * on the apiserver; against Flux v1.9.6's source- and kustomize-controller with one Kustomization a service, in the
 * same run, up to 1 000. Then both at rest on one repository polled every 5 s.
 */
import { fileURLToPath } from "node:url";
import { testClusterKubeconfig } from "./cluster.js";
import { ensureFlux } from "./peer/flux.js";
import { buildController } from "./peer/sg-process.js";
import type { Row } from "./row.js";
import { scaleRun } from "./scale/fixtures.js";
import { idleRows } from "./scale/idle.js";
import {
  type Contender,
  type Landing,
  land,
  runFlux,
  runSg,
  type ScaleContext,
  withScaleContext,
} from "./scale/land.js";
import { landingRows } from "./scale/rows.js";

/** ScaleOptions size the scale benchmark. */
export interface ScaleOptions {
  readonly kubeconfig: string;
  /** Services of each run (100, 1 000, 10 000). */
  readonly sizes?: readonly number[];
  /** Flux runs the sizes up to this one (1 000). */
  readonly fluxMax?: number;
  /** The idle window (120 s); 0 leaves the idle row out. */
  readonly idleSeconds?: number;
  /** onFlux is told each Flux landing, so a later benchmark of the same run can reuse it as its baseline. */
  readonly onFlux?: (services: number, landing: Landing) => void;
}

// One poll at start is what a landing measures: the next ones come after it ended (or are coalesced with it).
const LANDING_INTERVAL_SECONDS = 60;

/** timeoutMs bounds a landing: generous against the figures of issue 32 (Flux 7m16s at 1 000). */
function timeoutMs(contender: "flux" | "sg", services: number): number {
  return 300_000 + services * (contender === "flux" ? 1_500 : 100);
}

async function measureLanding(
  ctx: ScaleContext,
  contender: "flux" | "sg",
  services: number,
): Promise<Landing> {
  const run = scaleRun(services, contender);
  process.stderr.write(`[bench] scale: ${contender}, ${services} services…\n`);
  const start = contender === "flux" ? runFlux : runSg;
  const running: Contender = await start(ctx, run, LANDING_INTERVAL_SECONDS);
  try {
    const landing = await land(ctx, running, run, timeoutMs(contender, services));
    process.stderr.write(`[bench] scale: ${contender}, ${services} services: ${JSON.stringify(landing)}\n`);
    return landing;
  } finally {
    await running.stop();
  }
}

/** benchScale runs every size, contenders in turns (Flux first), then the idle row; without Go, one skipped row. */
export async function benchScale(options: ScaleOptions): Promise<Row[]> {
  const flux = await ensureFlux();
  if (flux.skipped) {
    process.stderr.write(`[bench] scale skipped: ${flux.skipped}\n`);
    return [
      { bench: "scale", case: "skipped", metric: "–", unit: "", value: Number.NaN, note: flux.skipped },
    ];
  }
  await buildController();
  return withScaleContext(options.kubeconfig, async (ctx) => {
    const rows: Row[] = [];
    for (const services of options.sizes ?? [100, 1_000, 10_000]) {
      const baseline =
        services <= (options.fluxMax ?? 1_000) ? await measureLanding(ctx, "flux", services) : undefined;
      if (baseline) options.onFlux?.(services, baseline);
      rows.push(...landingRows(services, await measureLanding(ctx, "sg", services), baseline));
    }
    if (options.idleSeconds !== 0) rows.push(...(await idleRows(ctx, options.idleSeconds ?? 120)));
    return rows;
  });
}

/**
 * Run alone, `npx tsx bench/scale.ts --sizes 100,500 --flux-max 0 --idle 0` measures some sizes without the whole
 * `npm run bench`: what a change to the sync costs at one size, before and after, in minutes.
 */
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const flag = (name: string) => {
    const index = process.argv.indexOf(`--${name}`);
    return index < 0 ? undefined : process.argv[index + 1];
  };
  const sizes = flag("sizes")?.split(",").map(Number);
  const fluxMax = flag("flux-max");
  const idle = flag("idle");
  const rows = await benchScale({
    kubeconfig: process.env.KUBECONFIG ?? (await testClusterKubeconfig()),
    ...(sizes ? { sizes } : {}),
    ...(fluxMax === undefined ? {} : { fluxMax: Number(fluxMax) }),
    ...(idle === undefined ? {} : { idleSeconds: Number(idle) }),
  });
  for (const row of rows) process.stdout.write(`${JSON.stringify(row)}\n`);
}

import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { createGitHubWorld, serviceFiles } from "../test/github-server/harness.js";
import { testClusterKubeconfig } from "./cluster.js";
import { benchFootprintCompiled } from "./footprint-compiled.js";
import { type Row, withBaseline } from "./row.js";
import { median } from "./stats.js";

/** FootprintJob is what the parent tells a footprint child process to do. */
export interface FootprintJob {
  readonly mode: "controller" | "baseline";
  readonly url: string;
  readonly token: string;
  readonly repos: readonly string[];
  readonly warmup: number;
  readonly polls: number;
}

/** FootprintSample is what a footprint child measured. */
export interface FootprintSample {
  readonly cpuMsPerPoll: number;
  readonly wallMsPerPoll: number;
  readonly rssMiB: number;
  readonly heapUsedMiB: number;
}

/** FootprintOptions size the footprint benchmark. */
export interface FootprintOptions {
  readonly repoCounts?: readonly number[];
  /** Repository polls per child process; each child runs `max(3, repoPolls / repos)` poll runs. Default 200. */
  readonly repoPolls?: number;
  readonly repetitions?: number;
  /**
   * compiledIdleSeconds is how long the compiled controller idles before its RSS is read (see
   * footprint-compiled.ts; on the test cluster, started if down); 0 skips it. Default 30.
   */
  readonly compiledIdleSeconds?: number;
}

const TOKEN = "ghp_benchfootprinttoken0000000000000000000";
const BASELINE = "bare fetch of the same conditional requests (child process)";
const child = fileURLToPath(new URL("./footprint-child.ts", import.meta.url));

/**
 * benchFootprint measures the controller's RSS and CPU time per idle poll run (every repository polled once,
 * nothing changed) with 1, 10 and 50 repositories of one service each, in a child process per measurement, against a
 * child that only sends the same conditional requests with `fetch`. The GitHub test server runs in this process,
 * so its work is not counted in either.
 */
export async function benchFootprint(options: FootprintOptions = {}): Promise<Row[]> {
  const repoPolls = options.repoPolls ?? 200;
  const repetitions = options.repetitions ?? 3;
  const rows: Row[] = [];
  const world = await createGitHubWorld();
  try {
    const names: string[] = [];
    for (const count of options.repoCounts ?? [1, 10, 50]) {
      while (names.length < count) {
        const name = `repo-${names.length}`;
        const repo = await world.addRepo("bench", name, TOKEN);
        await repo.commit(serviceFiles(name, "app", 5));
        names.push(name);
      }
      const polls = Math.max(3, Math.round(repoPolls / count));
      const samples = { controller: [] as FootprintSample[], baseline: [] as FootprintSample[] };
      for (let rep = 0; rep < repetitions; rep++) {
        for (const mode of rep % 2 === 0
          ? (["controller", "baseline"] as const)
          : (["baseline", "controller"] as const)) {
          const job: FootprintJob = {
            mode,
            url: world.server.url,
            token: TOKEN,
            repos: names.slice(0, count),
            warmup: 2,
            polls,
          };
          samples[mode].push(await runChild(job));
        }
      }
      const label = `${count} repo${count === 1 ? "" : "s"}, idle`;
      const pick = (mode: "controller" | "baseline", key: keyof FootprintSample) =>
        median(samples[mode].map((sample) => sample[key]));
      const note = `median of ${repetitions} processes × ${polls} polls`;
      rows.push(
        withBaseline({
          bench: "footprint",
          case: label,
          metric: "CPU per poll run",
          unit: "ms",
          value: pick("controller", "cpuMsPerPoll"),
          baseline: BASELINE,
          baselineValue: pick("baseline", "cpuMsPerPoll"),
          note,
        }),
        withBaseline({
          bench: "footprint",
          case: label,
          metric: "wall per poll run",
          unit: "ms",
          value: pick("controller", "wallMsPerPoll"),
          baseline: BASELINE,
          baselineValue: pick("baseline", "wallMsPerPoll"),
          note,
        }),
        withBaseline({
          bench: "footprint",
          case: label,
          metric: "RSS",
          unit: "MiB",
          value: pick("controller", "rssMiB"),
          baseline: BASELINE,
          baselineValue: pick("baseline", "rssMiB"),
          note: `${note}; both run under tsx`,
        }),
      );
    }
    const idleSeconds = options.compiledIdleSeconds ?? 30;
    if (idleSeconds > 0)
      rows.push(
        ...(await benchFootprintCompiled({ kubeconfig: await testClusterKubeconfig(), idleSeconds })),
      );
    return rows;
  } finally {
    await world.close();
  }
}

async function runChild(job: FootprintJob): Promise<FootprintSample> {
  const result = await execa(process.execPath, ["--import", "tsx", child], {
    env: { BENCH_FOOTPRINT: JSON.stringify(job) },
    timeout: 120_000,
  });
  const line = result.stdout.trim().split("\n").at(-1) ?? "";
  return JSON.parse(line) as FootprintSample;
}

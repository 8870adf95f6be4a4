/**
 * `npm run bench` (tsx bench/run.ts): runs every benchmark in turn, prints the table and the machine, and writes
 * bench/results/latest.md and bench/results/latest.json. `--only a,b` runs some of them (github-cost, parse-bomb,
 * apply, change-latency, release-tree, footprint, peer, scale, shards, peer-soak); `--quick` cuts repetitions and durations for a
 * smoke run. Each benchmark's figures are ratios against a baseline measured in the same run; a failing benchmark is
 * reported and the others still run. Rows that measure one of issue 17's goals say the goal and whether it is met.
 * The soak (30 minutes of polling, a memory-growth measure) starts first and runs alongside all the others.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { benchApplyThroughput } from "./apply-throughput.js";
import { benchChangeLatency } from "./change-latency.js";
import { testClusterKubeconfig } from "./cluster.js";
import { benchFootprint } from "./footprint.js";
import { benchGitHubCost } from "./github-cost.js";
import { describeMachine } from "./machine.js";
import { benchParseBomb } from "./parse-bomb.js";
import { withGoals } from "./peer/goals.js";
import { benchPeer } from "./peer.js";
import { type Soak, startSoak } from "./peer-soak.js";
import { benchReleaseTree } from "./release-tree.js";
import { type Report, toJson, toMarkdown, toText } from "./report.js";
import type { BenchResult, Row } from "./row.js";
import type { Landing } from "./scale/land.js";
import { benchScale } from "./scale.js";
import { benchShards } from "./shards.js";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const onlyIndex = args.indexOf("--only");
const only = onlyIndex >= 0 ? new Set((args[onlyIndex + 1] ?? "").split(",")) : undefined;
// The soak belongs to the peer rows: `--only peer` runs it too.
if (only?.has("peer")) only.add("peer-soak");

let kubeconfig: Promise<string> | undefined;
const cluster = () => {
  kubeconfig ??= testClusterKubeconfig();
  return kubeconfig;
};

// The scale benchmark's Flux landings, reused as the sharding benchmark's baseline when both run.
const fluxLandings = new Map<number, Landing>();

// Repetitions are modest on purpose: the whole run must stay under 10 minutes on a shared 2-core machine (about
// 8 there). One repetition of 500 objects through the three contenders takes about 2 minutes, hence only one; polling
// latency gets 10 commits rather than the issue's 20 (each costs ~5 s of waiting for a random poll phase).
const benches: { name: string; run: () => Promise<Row[]> }[] = [
  { name: "github-cost", run: () => benchGitHubCost() },
  { name: "parse-bomb", run: () => benchParseBomb({ repetitions: quick ? 1 : 3 }) },
  {
    name: "footprint",
    // benchFootprint also measures the compiled controller (footprint-compiled.ts) after the tsx rows.
    run: () =>
      benchFootprint(
        quick
          ? { repoPolls: 20, repetitions: 1, compiledIdleSeconds: 10 }
          : { repoPolls: 100, repetitions: 3 },
      ),
  },
  {
    name: "release-tree",
    run: () =>
      benchReleaseTree(
        quick ? { durationSeconds: 1, repetitions: 1 } : { durationSeconds: 4, repetitions: 3 },
      ),
  },
  {
    name: "change-latency",
    run: async () =>
      benchChangeLatency({
        kubeconfig: await cluster(),
        ...(quick ? { webhookCommits: 3, pollCommits: 3 } : { webhookCommits: 20, pollCommits: 10 }),
      }),
  },
  {
    name: "apply",
    run: async () =>
      benchApplyThroughput({
        kubeconfig: await cluster(),
        sizes: quick
          ? [{ objects: 50, repetitions: 1 }]
          : [
              { objects: 50, repetitions: 5 },
              { objects: 500, repetitions: 1 },
            ],
      }),
  },
  {
    name: "peer",
    run: async () =>
      benchPeer({
        kubeconfig: await cluster(),
        ...(quick ? { repos: 10, idleSeconds: 20, latencyCommits: 3, stackCommits: 2 } : {}),
      }),
  },
  {
    name: "scale",
    run: async () =>
      benchScale({
        kubeconfig: await cluster(),
        onFlux: (services, landing) => fluxLandings.set(services, landing),
        ...(quick ? { sizes: [100], idleSeconds: 20 } : {}),
      }),
  },
  {
    name: "shards",
    run: async () =>
      benchShards({ kubeconfig: await cluster(), flux: fluxLandings, ...(quick ? { sizes: [100] } : {}) }),
  },
  { name: "peer-soak", run: async () => (soak ? soak.finish() : []) },
];

// Started before everything else and collected last (its entry is the final one above).
let soak: Soak | undefined;
if (!only || only.has("peer-soak")) {
  const kubeconfig = await cluster();
  soak = startSoak({ kubeconfig, ...(quick ? { repos: 10, earlySeconds: 30, lateSeconds: 90 } : {}) });
}

const started = performance.now();
const startedAt = new Date().toISOString();
const machine = describeMachine();
const results: BenchResult[] = [];
for (const bench of benches) {
  if (only && !only.has(bench.name)) continue;
  const benchStarted = performance.now();
  process.stderr.write(`[bench] ${bench.name}…\n`);
  try {
    const rows = withGoals(await bench.run());
    results.push({ name: bench.name, rows, seconds: (performance.now() - benchStarted) / 1000 });
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`[bench] ${bench.name} failed: ${error instanceof Error ? error.stack : message}\n`);
    results.push({
      name: bench.name,
      rows: [],
      seconds: (performance.now() - benchStarted) / 1000,
      error: message,
    });
  }
  process.stderr.write(
    `[bench] ${bench.name} took ${Math.round((performance.now() - benchStarted) / 1000)} s\n`,
  );
}

const report: Report = {
  startedAt,
  command: `npx tsx bench/run.ts${args.length > 0 ? ` ${args.join(" ")}` : ""}`,
  totalSeconds: (performance.now() - started) / 1000,
  machine,
  benches: results,
};
const dir = fileURLToPath(new URL("./results/", import.meta.url));
await mkdir(dir, { recursive: true });
await writeFile(`${dir}latest.md`, toMarkdown(report));
await writeFile(`${dir}latest.json`, toJson(report));
process.stdout.write(`${toText(report)}\n`);
process.exitCode = results.some((result) => result.error) ? 1 : 0;

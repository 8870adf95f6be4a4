import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { aliasBomb, harmlessOfSize } from "../controller/desired/render/hostile-yaml.js";
import { createGitHubWorld, manifest } from "../test/github-server/harness.js";
import { type Row, withBaseline } from "./row.js";
import { median } from "./stats.js";

/** ParseBombOptions size the parse-bomb benchmark. */
export interface ParseBombOptions {
  readonly repetitions?: number;
}

const TOKEN = "ghp_benchparsebombtoken00000000000000000000";
const MAIN = fileURLToPath(new URL("../controller/main.ts", import.meta.url));
const HOOK = fileURLToPath(new URL("./max-rss-hook.ts", import.meta.url));
const BASELINE = "a harmless file of the same size";

interface RunSample {
  readonly maxRssMiB: number;
  readonly seconds: number;
  readonly exitCode: number;
  readonly stderr: string;
}

/**
 * benchParseBomb runs the controller with `--once --dry-run` in a child process (under tsx, as `npm run controller`)
 * against the GitHub test server, on a repository whose service `hostile` holds the ~400-byte alias bomb (nine levels
 * of nine aliases) next to a harmless file, and a service `plain` whose file is a harmless ConfigMap of the same size.
 * It reports each process's peak RSS (`process.resourceUsage().maxRSS` at exit) and wall time, the bomb's against
 * the harmless file's, and the peak RSS of a 5 MiB plain file for scale (the GitHub test server does not serve a 10 MiB blob). The bomb
 * run must exit 1 naming the file; before the node budget it took 15–40 s and 1.7–1.8 GB.
 */
export async function benchParseBomb(options: ParseBombOptions = {}): Promise<Row[]> {
  const repetitions = options.repetitions ?? 3;
  const world = await createGitHubWorld();
  const dir = await mkdtemp(join(tmpdir(), "bench-parse-bomb-"));
  try {
    const repo = await world.addRepo("bench", "hostile", TOKEN);
    const bomb = aliasBomb();
    await repo.commit({
      "bomb/deploy.yaml": manifest("bomb", 1),
      "bomb/bomb.yaml": bomb,
      "plain/deploy.yaml": manifest("plain", 1),
      "plain/plain.yaml": harmlessOfSize(bomb.length),
      "big/big.yaml": harmlessOfSize(5 * 1024 * 1024, "big"),
    });
    const run = async (service: string): Promise<RunSample> => {
      const config = join(dir, `${service}.yaml`);
      const rssFile = join(dir, `${service}.rss.json`);
      await writeFile(
        config,
        `github_configs:\n  gh: { repo_owner: bench, repo_name: hostile, token_env: GH_TOKEN, api_url: "${world.server.url}" }\nservices:\n  - { name: ${service}, github: gh, k8s_yaml_dir: ${service} }\n`,
      );
      const started = performance.now();
      const result = await execa(
        process.execPath,
        [
          "--import",
          "tsx",
          "--import",
          HOOK,
          MAIN,
          "--config",
          config,
          "--state-dir",
          join(dir, `state-${service}`),
        ].concat(["--once", "--dry-run"]),
        {
          reject: false,
          stdout: "ignore",
          env: { GH_TOKEN: TOKEN, BENCH_MAX_RSS_FILE: rssFile },
          timeout: 180_000,
        },
      );
      const seconds = (performance.now() - started) / 1000;
      const { maxRssKiB } = JSON.parse(await readFile(rssFile, "utf8")) as { maxRssKiB: number };
      await rm(rssFile, { force: true });
      return { maxRssMiB: maxRssKiB / 1024, seconds, exitCode: result.exitCode ?? -1, stderr: result.stderr };
    };
    const samples = { bomb: [] as RunSample[], plain: [] as RunSample[], big: [] as RunSample[] };
    for (let rep = 0; rep < repetitions; rep++) {
      for (const service of rep % 2 === 0 ? (["bomb", "plain"] as const) : (["plain", "bomb"] as const)) {
        samples[service].push(await run(service));
      }
      samples.big.push(await run("big"));
    }
    for (const sample of samples.bomb) {
      if (sample.exitCode !== 1 || !sample.stderr.includes("bomb/bomb.yaml: refused"))
        throw new Error(
          `the bomb run did not fail naming its file (exit ${sample.exitCode}): ${sample.stderr.slice(-500)}`,
        );
    }
    for (const sample of [...samples.plain, ...samples.big]) {
      if (sample.exitCode !== 0)
        throw new Error(`a plain run failed (exit ${sample.exitCode}): ${sample.stderr.slice(-500)}`);
    }
    const pick = (service: keyof typeof samples, key: "maxRssMiB" | "seconds") =>
      median(samples[service].map((sample) => sample[key]));
    const note = `median of ${repetitions} processes; whole process under tsx, peak RSS from process.resourceUsage()`;
    const label = `alias bomb (${bomb.length} B, 9 levels × 9 aliases), --once --dry-run`;
    return [
      withBaseline({
        bench: "parse-bomb",
        case: label,
        metric: "peak RSS",
        unit: "MiB",
        value: pick("bomb", "maxRssMiB"),
        baseline: BASELINE,
        baselineValue: pick("plain", "maxRssMiB"),
        note,
      }),
      withBaseline({
        bench: "parse-bomb",
        case: label,
        metric: "wall time",
        unit: "s",
        value: pick("bomb", "seconds"),
        baseline: BASELINE,
        baselineValue: pick("plain", "seconds"),
        note: `${note}; exit 1, the file named`,
      }),
      withBaseline({
        bench: "parse-bomb",
        case: "5 MiB plain file, --once --dry-run",
        metric: "peak RSS",
        unit: "MiB",
        value: pick("big", "maxRssMiB"),
        baseline: BASELINE,
        baselineValue: pick("plain", "maxRssMiB"),
        note: `${note}; for scale against a 256 Mi pod limit`,
      }),
    ];
  } finally {
    await world.close();
    await rm(dir, { recursive: true, force: true });
  }
}

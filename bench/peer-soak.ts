/**
 * The soak row: the compiled controller polling 50 repositories every 5 s for 30 minutes, RSS after 30 minutes
 * against RSS after 5. It measures growth, not time, so `npm run bench` starts it first and runs every other
 * benchmark meanwhile; `finish` waits for the rest of the 30 minutes.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { kubectl } from "./cluster.js";
import { configMapFiles } from "./peer/fixtures.js";
import { ensureNamespace } from "./peer/namespace.js";
import { rssMiB } from "./peer/proc.js";
import { buildController, type SgProcess, startController } from "./peer/sg-process.js";
import { createPeerWorld, OWNER, type PeerWorld, TOKEN } from "./peer/world.js";
import { type Row, withBaseline } from "./row.js";

/** SoakOptions size the soak; the defaults are the (50 repositories, 5 and 30 minutes). */
export interface SoakOptions {
  readonly kubeconfig: string;
  readonly repos?: number;
  readonly earlySeconds?: number;
  readonly lateSeconds?: number;
}

/** Soak is a running soak: `finish` resolves with its row once the late sample is taken, and stops everything. */
export interface Soak {
  finish(): Promise<Row[]>;
}

const NAMESPACE = "peer-soak";

/** startSoak starts the soak and returns at once; every failure surfaces from `finish`. */
export function startSoak(options: SoakOptions): Soak {
  const done = runSoak(options);
  // Observed by finish(); never an unhandled rejection while the other benchmarks run.
  done.catch(() => undefined);
  return { finish: () => done };
}

async function runSoak(options: SoakOptions): Promise<Row[]> {
  const repos = options.repos ?? 50;
  const early = options.earlySeconds ?? 300;
  const late = options.lateSeconds ?? 1800;
  await buildController();
  let world: PeerWorld | undefined;
  let sg: SgProcess | undefined;
  try {
    world = await createPeerWorld();
    await ensureNamespace(options.kubeconfig, NAMESPACE);
    const names = Array.from({ length: repos }, (_, i) => `soak-${i}`);
    const commits = new Map<string, string>();
    for (const name of names) {
      const repo = await world.addRepo(name, configMapFiles(name, NAMESPACE, 1));
      commits.set(name, await repo.head());
    }
    sg = await startController({
      apiUrl: world.github.server.url,
      token: TOKEN,
      kubeconfig: options.kubeconfig,
      repos: names.map((name) => ({ owner: OWNER, name, service: name })),
      pollSeconds: 5,
    });
    const started = performance.now();
    await sg.synced(commits, 300_000);
    const at = async (seconds: number) => {
      await sleep(Math.max(0, started + seconds * 1000 - performance.now()));
      return rssMiB([(sg as SgProcess).pid]);
    };
    const rssEarly = await at(early);
    const rssLate = await at(late);
    return [
      withBaseline({
        bench: "peer-soak",
        case: `RSS after ${late / 60} min vs after ${early / 60} min, ${repos} repositories`,
        metric: "RSS",
        unit: "MiB",
        value: rssLate,
        baseline: `RSS of the same process after ${early / 60} min`,
        baselineValue: rssEarly,
        note: `polling every 5 s, nothing changing; ran alongside the other benchmarks`,
      }),
    ];
  } finally {
    await sg?.stop();
    await world?.close();
    await kubectl(options.kubeconfig, ["delete", "namespace", NAMESPACE, "--wait=false"]).catch(
      () => undefined,
    );
  }
}

import { peakRssMiB } from "../peer/proc.js";
import { type SgProcess, startController } from "../peer/sg-process.js";
import type { ScaleRun } from "../scale/fixtures.js";
import {
  type Contender,
  controllerOptions,
  deleteNamespace,
  githubCounts,
  inTurn,
  POD_HEAP_ENV,
  prepare,
  type ScaleContext,
} from "../scale/land.js";
import { sampleUsage, type Usage } from "./usage.js";

/** FleetContender is `members` compiled controllers sharing one run's services out, started together. */
export interface FleetContender extends Contender {
  readonly members: readonly SgProcess[];
  /** readyAt is the moment (performance.now) the last member answered /healthz. */
  readonly readyAt: number;
  /** before is the machine's CPU just before the first member was spawned. */
  readonly before: Usage;
}

/**
 * runFleet starts `members` controllers at once on the run's services, each a member of one fleet as a pod of the
 * DaemonSet is: `sharding: true`, `state: configmap`, POD_NAME its own and POD_NAMESPACE the run's namespace (its
 * Lease and the state ConfigMaps go there and leave with it), and the heap a pod gets (POD_HEAP_ENV), as the scale
 * benchmark's single controller has. Its clock starts at the first member's spawn.
 */
export async function runFleet(
  ctx: ScaleContext,
  run: ScaleRun,
  members: number,
  intervalSeconds: number,
): Promise<FleetContender> {
  const started: SgProcess[] = [];
  let before: Usage | undefined;
  const stop = () =>
    inTurn([
      ...started.map((member) => () => member.stop()),
      () => deleteNamespace(ctx.kubeconfig, run.name),
    ]);
  try {
    await prepare(ctx, run);
    before = await sampleUsage(ctx.kubeconfig);
    const starts = await Promise.allSettled(
      Array.from({ length: members }, (_, i) =>
        startController({
          ...controllerOptions(ctx, run, intervalSeconds),
          config: ["state: configmap", "sharding: true"],
          env: { ...POD_HEAP_ENV, POD_NAME: `member-${i}`, POD_NAMESPACE: run.name },
        }),
      ),
    );
    for (const start of starts) if (start.status === "fulfilled") started.push(start.value);
    const failed = starts.find((start) => start.status === "rejected");
    if (failed) throw failed.reason;
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    members: started,
    readyAt: performance.now(),
    before: before as Usage,
    pids: started.map((member) => member.pid),
    startedAt: Math.min(...started.map((member) => member.startedAt)),
    github: githubCounts(ctx, run),
    stop,
  };
}

/** memberPeaks is each member's peak RSS (VmHWM), in MiB, in member order. */
export function memberPeaks(fleet: FleetContender): Promise<number[]> {
  return Promise.all(fleet.members.map((member) => peakRssMiB([member.pid])));
}

/** moves is `simple_gitops_shard_moves_total` summed over every member's /metrics: services that changed hands. */
export async function moves(fleet: FleetContender): Promise<number> {
  let total = 0;
  for (const member of fleet.members) {
    const response = await fetch(`${member.url}/metrics`, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`${member.url}/metrics: ${response.status}`);
    const text = await response.text();
    // A labelled counter nothing has counted yet shows only its HELP and TYPE lines: 0, but it must be there.
    if (!text.includes("# TYPE simple_gitops_shard_moves_total"))
      throw new Error(`${member.url}/metrics has no simple_gitops_shard_moves_total: is sharding on?`);
    total += sumOf(text, "simple_gitops_shard_moves_total");
  }
  return total;
}

/** sumOf adds up every sample of `metric` in a Prometheus text exposition. */
export function sumOf(exposition: string, metric: string): number {
  let total = 0;
  for (const line of exposition.split("\n")) {
    const match = new RegExp(`^${metric}(?:\\{[^}]*\\})?\\s+(\\S+)`).exec(line);
    if (match) total += Number(match[1]);
  }
  return total;
}

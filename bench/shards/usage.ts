import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { cpuSeconds } from "../peer/proc.js";

/** Usage is a sample of where the machine's CPU went: all of it, and the test cluster's apiserver and etcd. */
export interface Usage {
  /** Jiffies of every core since boot, busy (not idle or waiting on I/O) and in all. */
  readonly busy: number;
  readonly total: number;
  /** CPU seconds of kube-apiserver + etcd since they started; undefined when their pid files are not found. */
  readonly cluster?: number;
}

/** Spent is what a window between two samples used. */
export interface Spent {
  /** The share of the machine's cores that was busy, 0..1. */
  readonly machineBusy: number;
  readonly clusterCpuSeconds?: number;
}

/**
 * sampleUsage reads /proc/stat and the CPU of the cluster beside `kubeconfig` (scripts/test-cluster.sh writes
 * kube-apiserver.pid and etcd.pid there).
 */
export async function sampleUsage(kubeconfig: string): Promise<Usage> {
  const stat = await readFile("/proc/stat", "utf8");
  const jiffies = (stat.split("\n")[0] ?? "").trim().split(/\s+/).slice(1).map(Number);
  const total = jiffies.reduce((sum, value) => sum + value, 0);
  // Fields 4 and 5 are idle and iowait.
  const busy = total - (jiffies[3] ?? 0) - (jiffies[4] ?? 0);
  const cluster = await clusterCpu(dirname(kubeconfig)).catch(() => undefined);
  return { busy, total, ...(cluster === undefined ? {} : { cluster }) };
}

async function clusterCpu(dir: string): Promise<number> {
  const pids = await Promise.all(
    ["kube-apiserver.pid", "etcd.pid"].map(async (file) =>
      Number((await readFile(join(dir, file), "utf8")).trim()),
    ),
  );
  return cpuSeconds(pids);
}

/** spent is what the window from `before` to `after` used. */
export function spent(before: Usage, after: Usage): Spent {
  const total = after.total - before.total;
  return {
    machineBusy: total > 0 ? (after.busy - before.busy) / total : Number.NaN,
    ...(before.cluster !== undefined && after.cluster !== undefined
      ? { clusterCpuSeconds: after.cluster - before.cluster }
      : {}),
  };
}

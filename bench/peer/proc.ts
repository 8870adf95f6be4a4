import { readFile } from "node:fs/promises";

/** rssMiB is the resident set of the processes, summed, from /proc (Linux). */
export function rssMiB(pids: readonly number[]): Promise<number> {
  return statusMiB(pids, "VmRSS");
}

/** peakRssMiB is the peak resident set of each process (VmHWM), summed, from /proc (Linux). */
export function peakRssMiB(pids: readonly number[]): Promise<number> {
  return statusMiB(pids, "VmHWM");
}

async function statusMiB(pids: readonly number[], field: "VmRSS" | "VmHWM"): Promise<number> {
  let kib = 0;
  for (const pid of pids) {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    kib += Number(new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? Number.NaN);
  }
  return kib / 1024;
}

/** cpuSeconds is user + system CPU time of the processes, summed, from /proc (clock ticks of 10 ms). */
export async function cpuSeconds(pids: readonly number[]): Promise<number> {
  let ticks = 0;
  for (const pid of pids) {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / 100;
}

import { cpus, freemem, loadavg, totalmem } from "node:os";

/** Machine describes where a run happened, printed with the table and written with the results. */
export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly freeMemoryGiB: number;
  readonly node: string;
  readonly platform: string;
  /** 1-minute load average when the run started: a shared machine's noise shows here. */
  readonly loadAverage: number;
}

/** describeMachine reads the CPU model, core count, memory and Node version of this machine. */
export function describeMachine(): Machine {
  const list = cpus();
  const gib = (bytes: number) => Math.round((bytes / 1024 ** 3) * 10) / 10;
  return {
    cpu: list[0]?.model.trim() ?? "unknown",
    cores: list.length,
    memoryGiB: gib(totalmem()),
    freeMemoryGiB: gib(freemem()),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    loadAverage: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}

import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

/** stillRunning waits up to a second for the pids to be gone and returns those still running (zombies are gone). */
export async function stillRunning(pids: readonly number[]): Promise<number[]> {
  const running = async (pid: number) => {
    try {
      process.kill(pid, 0);
    } catch {
      return false;
    }
    const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  };
  let left = [...pids];
  for (let i = 0; i < 50 && left.length > 0; i++) {
    const states = await Promise.all(left.map(running));
    left = left.filter((_, j) => states[j]);
    if (left.length > 0) await sleep(20);
  }
  for (const pid of left) process.kill(pid, "SIGKILL");
  return left;
}

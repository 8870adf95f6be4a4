import type { Clock, Timers } from "../common/clock.js";

/** ManualTime is a Clock and Timers whose time moves only when a test calls `advance` or `stepWall`. */
export interface ManualTime extends Clock, Timers {
  /** advance moves wall-clock and monotonic time on together, firing the timers that fall due. */
  advance(ms: number): Promise<void>;
  /** stepWall moves the wall clock alone, as an NTP correction or a changed date does: no timer fires. */
  stepWall(ms: number): void;
  pending(): number;
}

/**
 * createManualTime starts manual time at `start` (epoch ms) on the wall clock and 0 on the monotonic one. `sleep`
 * resolves when `advance` passes its deadline.
 */
export function createManualTime(start = Date.UTC(2026, 0, 1)): ManualTime {
  let elapsed = 0;
  let wallOffset = start;
  let tasks: { at: number; fn: () => void; id: number }[] = [];
  let nextId = 0;
  const after = (fn: () => void, ms: number) => {
    const id = nextId++;
    tasks.push({ at: elapsed + ms, fn, id });
    return () => {
      tasks = tasks.filter((task) => task.id !== id);
    };
  };
  return {
    now: () => wallOffset + elapsed,
    monotonic: () => elapsed,
    sleep: (ms) => new Promise<void>((resolve) => after(resolve, ms)),
    after,
    pending: () => tasks.length,
    stepWall(ms) {
      wallOffset += ms;
    },
    async advance(ms) {
      const until = elapsed + ms;
      for (;;) {
        const due = tasks.filter((task) => task.at <= until).sort((a, b) => a.at - b.at || a.id - b.id)[0];
        if (!due) break;
        tasks = tasks.filter((task) => task.id !== due.id);
        elapsed = due.at;
        due.fn();
        // Let promise chains started by the callback run before the next task fires.
        await new Promise((resolve) => setImmediate(resolve));
      }
      elapsed = until;
    },
  };
}

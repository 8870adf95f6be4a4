import { systemTimers, type Timers } from "../../common/clock.js";
import { type RecorderHold, type SaveDeps, saveRecord } from "./save-record.js";
import type { ControllerState } from "./state/state.js";

/**
 * STATE_FLUSH_MS is the most a recorded change waits in memory before it is written: a thousand services landing in
 * one run cost a few writes a second, not one write (of the whole state) per service (issue 32).
 */
export const STATE_FLUSH_MS = 250;

/** SaveBatchDeps are the store and what a flush needs: the timers that schedule it, and whether it may write. */
export interface SaveBatchDeps extends SaveDeps {
  readonly timers?: Timers;
  readonly flushEveryMs?: number;
  /** mayWrite is false on a replica that lost the leader Lease: it must not write again (its changes are dropped). */
  readonly mayWrite?: () => boolean;
}

/**
 * SaveBatch coalesces the changes laid over the recorder's state into one write: `mark` notes a change and schedules
 * a flush, `flush` writes what is marked now (after any write under way), `discard` forgets what is marked, when the
 * state in memory is replaced by the stored one.
 */
export interface SaveBatch {
  mark(layOver: (state: ControllerState) => ControllerState): void;
  flush(): Promise<void>;
  discard(): void;
  /** layPending lays what is marked over `state` and keeps it marked, to be written at the next flush. */
  layPending(state: ControllerState): ControllerState;
  /**
   * read runs a read of the stored state between two writes: a write under way while the state is read again would
   * save what was held before the read over the records it read (a store takes the caller's state against what it
   * last read), and the read would then replace what that write saved.
   */
  read(work: () => Promise<void>): Promise<void>;
}

/**
 * createSaveBatch writes the held state at most every `flushEveryMs` while changes come in, and at once when asked.
 * Each change is kept as the function that laid it over the state, so that a refused write lays them all, in order,
 * over the state another writer saved (see saveRecord); a write that failed keeps them for the next flush.
 */
export function createSaveBatch(hold: RecorderHold, deps: SaveBatchDeps): SaveBatch {
  const { timers = systemTimers, flushEveryMs = STATE_FLUSH_MS, mayWrite = () => true } = deps;
  let marked: ((state: ControllerState) => ControllerState)[] = [];
  let cancelTimer: (() => void) | undefined;
  let writing: Promise<void> = Promise.resolve();

  const write = async (): Promise<void> => {
    if (marked.length === 0) return;
    if (!mayWrite()) {
      deps.log.warn({ changes: marked.length }, "not the leader any more: unsaved changes dropped");
      marked = [];
      return;
    }
    const taken = marked;
    marked = [];
    // Changes marked while this write is under way are laid over a re-read state too, so a merge loses none; those
    // are then in what was written, and not marked any more.
    let laidToo = 0;
    const layAll = (state: ControllerState) => {
      laidToo = marked.length;
      return [...taken, ...marked].reduce((next, lay) => lay(next), state);
    };
    await saveRecord(hold, layAll, deps);
    marked = hold.reachable ? marked.slice(laidToo) : [...taken, ...marked];
  };
  const flush = (): Promise<void> => {
    cancelTimer?.();
    cancelTimer = undefined;
    writing = writing.then(write);
    return writing;
  };
  const schedule = () => {
    cancelTimer ??= timers.after(() => {
      cancelTimer = undefined;
      void flush();
    }, flushEveryMs);
  };
  return {
    mark(layOver) {
      marked.push(layOver);
      schedule();
    },
    flush,
    discard() {
      cancelTimer?.();
      cancelTimer = undefined;
      marked = [];
    },
    read(work) {
      const done = writing.then(work);
      writing = done.catch(() => {});
      return done;
    },
    layPending(state) {
      if (marked.length === 0) return state;
      schedule();
      return marked.reduce((next, lay) => lay(next), state);
    },
  };
}

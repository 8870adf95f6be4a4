/** killGroup sends `how` to the process group `pid` leads; a group that is gone already is not an error. */
export function killGroup(pid: number | undefined, how: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, how);
  } catch {
    // ESRCH: the whole group is gone already.
  }
}

/** GroupStopper stops the process group of one child once, however many reasons to stop come in. */
export interface GroupStopper {
  /** stop sends the group SIGTERM, SIGKILL after `graceMs`, and calls `onGiveUp` if it is still not gone. */
  stop(): void;
  /** cancel clears the give-up timer once the run is over; a SIGKILL already planned still comes. */
  cancel(): void;
}

/**
 * createGroupStopper stops the group `child` leads (it was spawned `detached`), so what the child started dies
 * with it. `onGiveUp` runs `giveUpMs` after the SIGKILL, for a group the kernel could not kill.
 */
export function createGroupStopper(
  child: { readonly pid?: number | undefined },
  opts: { graceMs: number; giveUpMs: number; onGiveUp: () => void },
): GroupStopper {
  let stopping = false;
  let giveUp: NodeJS.Timeout | undefined;
  return {
    stop() {
      if (stopping) return;
      stopping = true;
      killGroup(child.pid, "SIGTERM");
      // Never cleared, so what ignores SIGTERM dies even when the run is over; unref'd, so a group that is gone by
      // then does not keep the controller alive.
      setTimeout(() => killGroup(child.pid, "SIGKILL"), opts.graceMs).unref();
      // A process the kernel cannot kill (stuck in I/O) must not hang the run either.
      giveUp = setTimeout(opts.onGiveUp, opts.graceMs + opts.giveUpMs).unref();
    },
    cancel() {
      clearTimeout(giveUp);
    },
  };
}

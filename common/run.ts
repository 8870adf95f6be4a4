import { spawn } from "node:child_process";
import { childEnv } from "./child-env.js";
import { timerDelay } from "./timer-delay.js";

/** RunResult is what a finished (or never started) process gave back. */
export interface RunResult {
  /** exitCode is undefined when the process never started or was killed. */
  exitCode?: number;
  stdout: string;
  stderr: string;
  /** spawnError is set ("ENOENT", "EACCES", …) when the binary could not be started at all. */
  spawnError?: string;
  /** timedOut is true when the run outlived its `timeoutMs` and its process group was killed. */
  timedOut?: boolean;
  /** stdoutOverflow is true when stdout passed `maxStdoutBytes`: the group was killed and stdout is cut short. */
  stdoutOverflow?: boolean;
}

/** RunOptions tune one run: stdin, the child's environment, and when to give up. */
export interface RunOptions {
  input?: string;
  /** timeoutMs bounds the run: past it the whole process group is killed and the result says `timedOut`. */
  timeoutMs?: number;
  /**
   * env is the child's whole environment: nothing of the controller's own environment is added to it. Without it,
   * the child gets {@link childEnv} of the controller's environment (PATH, HOME, KUBECONFIG and proxies only).
   */
  env?: Record<string, string>;
  /** signal kills the whole process group and rejects the run with the signal's reason. */
  signal?: AbortSignal;
  /** maxStdoutBytes bounds the memory a run's output may take: past it the whole process group is killed. */
  maxStdoutBytes?: number;
}

/**
 * RunCommand starts a process with optional stdin and never throws for a non-zero exit or a timeout; it rejects
 * only when `signal` aborts, with the signal's reason, once the process is gone.
 */
export type RunCommand = (file: string, args: readonly string[], opts?: RunOptions) => Promise<RunResult>;

export { BASE_CHILD_ENV, childEnv, type EnvSource, PROXY_ENV } from "./child-env.js";

/** KILL_GRACE_MS is how long a process group has between SIGTERM and SIGKILL. */
export const KILL_GRACE_MS = 2_000;
/** EXIT_DRAIN_MS is how long stdio may stay open after the process exited (held by something it left behind). */
const EXIT_DRAIN_MS = 500;
/** GIVE_UP_MS is how long after SIGKILL a run still waits for the kernel before it stops waiting. */
const GIVE_UP_MS = 1_000;

/**
 * runProcess is the production {@link RunCommand}. The child is the leader of its own process group (`detached`),
 * so a SIGINT or SIGTERM sent to the controller's group (Ctrl-C, a terminal closing) does not kill a kubectl
 * mid-apply: the controller decides when to stop it. On timeout or abort the whole group gets SIGTERM, then SIGKILL
 * after {@link KILL_GRACE_MS}, so what the child started (kubectl's exec credential plugins, a shell's children)
 * dies with it. Once the child has exited, stdio that something it left behind still holds is closed on our side
 * after {@link EXIT_DRAIN_MS} and that group is killed too, so a run never waits on a stray grandchild. The child's
 * environment is `opts.env` alone, or the allowlisted {@link childEnv} of ours: never our whole environment.
 */
export const runProcess: RunCommand = (file, args, opts = {}) => {
  const { signal, timeoutMs } = opts;
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn(file, [...args], {
      detached: true,
      // Given, `env` replaces the environment: the child never inherits the controller's secrets.
      env: opts.env ?? childEnv(process.env),
      stdio: ["pipe", "pipe", "pipe"],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let stdoutBytes = 0;
    let stdoutOverflow = false;
    child.stdout.on("data", (chunk: Buffer) => {
      if (stdoutOverflow) return;
      stdoutBytes += chunk.length;
      if (opts.maxStdoutBytes !== undefined && stdoutBytes > opts.maxStdoutBytes) {
        stdoutOverflow = true;
        stopGroup();
      } else stdout.push(chunk);
    });
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    // A child that exits without reading its stdin makes the write fail with EPIPE; its exit says what happened.
    child.stdin.on("error", () => undefined);

    const timers: NodeJS.Timeout[] = [];
    let killing = false;
    let timedOut = false;
    let exited = false;
    let exitCode: number | undefined;
    let done = false;

    const killGroup = (how: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, how);
      } catch {
        // ESRCH: the whole group is gone already.
      }
    };
    const stopGroup = () => {
      if (killing) return;
      killing = true;
      killGroup("SIGTERM");
      // Never cleared, so what ignores SIGTERM dies even when the run is over; unref'd, so a group that is gone by
      // then does not keep the controller alive.
      setTimeout(() => killGroup("SIGKILL"), KILL_GRACE_MS).unref();
      // A process the kernel cannot kill (stuck in I/O) must not hang the run either.
      timers.push(setTimeout(() => finish(), KILL_GRACE_MS + GIVE_UP_MS).unref());
    };
    const onAbort = () => stopGroup();

    function finish(spawnError?: NodeJS.ErrnoException) {
      if (done) return;
      done = true;
      for (const timer of timers) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      child.stdout.destroy();
      child.stderr.destroy();
      child.stdin.destroy();
      child.unref();
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const err = Buffer.concat(stderr).toString("utf8");
      if (spawnError) {
        resolve({
          stdout: "",
          stderr: err || spawnError.message,
          spawnError: spawnError.code ?? spawnError.message,
        });
        return;
      }
      resolve({
        ...(exitCode === undefined ? {} : { exitCode }),
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: timedOut
          ? `${err}${err === "" || err.endsWith("\n") ? "" : "\n"}timed out after ${timeoutMs} ms`
          : err,
        ...(timedOut ? { timedOut: true } : {}),
        ...(stdoutOverflow ? { stdoutOverflow: true } : {}),
      });
    }

    const deadline =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            if (exited) return;
            timedOut = true;
            stopGroup();
          }, timerDelay(timeoutMs));
    if (deadline) timers.push(deadline);
    child.on("error", (error: NodeJS.ErrnoException) => {
      // Only a failed spawn leaves no pid; a failed kill of a running child is not an outcome of the run.
      if (child.pid === undefined) finish(error);
    });
    child.on("exit", (code) => {
      exited = true;
      exitCode = code ?? undefined;
      clearTimeout(deadline);
      timers.push(
        setTimeout(() => {
          // Something the child started still holds its stdout or stderr: it is left over from this run.
          stopGroup();
          finish();
        }, EXIT_DRAIN_MS),
      );
    });
    child.on("close", () => finish());

    signal?.addEventListener("abort", onAbort, { once: true });
    child.stdin.end(opts.input ?? "");
  });
};

/** formatTimeout says a timeout the way messages name it: `300 s`, or `250 ms` when not whole seconds. */
export function formatTimeout(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** DEFAULT_RUN_TIMEOUT_MS bounds an applyer's runs unless it is told otherwise (the config's `apply_timeout`). */
export const DEFAULT_RUN_TIMEOUT_MS = 300_000;

import { spawn } from "node:child_process";
import { childEnv } from "./child-env.js";
import { createGroupStopper } from "./process-group.js";
import { collectOutput } from "./run-output.js";
import { type RunResult, runResult, spawnFailure } from "./run-result.js";
import { timerDelay } from "./timer-delay.js";

export type { RunResult } from "./run-result.js";

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
    const group = createGroupStopper(child, {
      graceMs: KILL_GRACE_MS,
      giveUpMs: GIVE_UP_MS,
      onGiveUp: () => finish(),
    });
    const output = collectOutput(child, opts.maxStdoutBytes, () => group.stop());
    const deadline = startDeadline(timeoutMs, () => group.stop());
    const onAbort = () => group.stop();
    let exitCode: number | undefined;
    let leftover: NodeJS.Timeout | undefined;
    let done = false;

    function finish(spawnError?: NodeJS.ErrnoException) {
      if (done) return;
      done = true;
      deadline.clear();
      clearTimeout(leftover);
      group.cancel();
      signal?.removeEventListener("abort", onAbort);
      for (const stream of [child.stdout, child.stderr, child.stdin]) stream.destroy();
      child.unref();
      if (signal?.aborted) return reject(signal.reason);
      const out = output.read();
      resolve(
        spawnError
          ? spawnFailure(out.stderr, spawnError)
          : runResult({ ...out, exitCode, timedOut: deadline.past, timeoutMs }),
      );
    }

    child.on("error", (error: NodeJS.ErrnoException) => {
      // Only a failed spawn leaves no pid; a failed kill of a running child is not an outcome of the run.
      if (child.pid === undefined) finish(error);
    });
    child.on("exit", (code) => {
      exitCode = code ?? undefined;
      deadline.clear();
      leftover = setTimeout(() => {
        // Something the child started still holds its stdout or stderr: it is left over from this run.
        group.stop();
        finish();
      }, EXIT_DRAIN_MS);
    });
    child.on("close", () => finish());
    // A child that exits without reading its stdin makes the write fail with EPIPE; its exit says what happened.
    child.stdin.on("error", () => undefined);
    signal?.addEventListener("abort", onAbort, { once: true });
    child.stdin.end(opts.input ?? "");
  });
};

/**
 * startDeadline calls `onPast` once `timeoutMs` has passed, unless cleared first (a child that exited is not timed
 * out, however long its stdio stays open); without a timeout it never does.
 */
function startDeadline(timeoutMs: number | undefined, onPast: () => void) {
  let past = false;
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          past = true;
          onPast();
        }, timerDelay(timeoutMs));
  return {
    get past() {
      return past;
    },
    clear: () => clearTimeout(timer),
  };
}

/** formatTimeout says a timeout the way messages name it: `300 s`, or `250 ms` when not whole seconds. */
export function formatTimeout(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** killedMessage says a run was killed at its timeout: `kubectl apply did not finish within 300 s and was killed`. */
export function killedMessage(command: string, timeoutMs: number): string {
  return `${command} did not finish within ${formatTimeout(timeoutMs)} and was killed`;
}

/** DEFAULT_RUN_TIMEOUT_MS bounds an applyer's runs unless it is told otherwise (the config's `apply_timeout`). */
export const DEFAULT_RUN_TIMEOUT_MS = 300_000;

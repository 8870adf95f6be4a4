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

import type { RunOutput } from "./run-output.js";

/**
 * runResult is the result of a run that started. A timed-out run says so on a last line of its stderr, so a caller
 * that only shows stderr still says why the run failed.
 */
export function runResult(
  run: RunOutput & { exitCode: number | undefined; timedOut: boolean; timeoutMs: number | undefined },
): RunResult {
  const { exitCode, stderr, timedOut } = run;
  return {
    ...(exitCode === undefined ? {} : { exitCode }),
    stdout: run.stdout,
    stderr: timedOut
      ? `${stderr}${stderr === "" || stderr.endsWith("\n") ? "" : "\n"}timed out after ${run.timeoutMs} ms`
      : stderr,
    ...(timedOut ? { timedOut: true } : {}),
    ...(run.stdoutOverflow ? { stdoutOverflow: true } : {}),
  };
}

/** spawnFailure is the result of a run whose binary could not be started: `spawnError` says why ("ENOENT", …). */
export function spawnFailure(stderr: string, error: NodeJS.ErrnoException): RunResult {
  return { stdout: "", stderr: stderr || error.message, spawnError: error.code ?? error.message };
}

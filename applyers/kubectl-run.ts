import { killedMessage, type RunCommand, type RunResult } from "../common/run.js";
import { ApplyerUnavailableError } from "./applyer.js";

/** KUBECTL_APPLYER is the kubectl applyer's name, in results, errors and logs. */
export const KUBECTL_APPLYER = "kubectl";

/** KubectlRun runs the kubectl commands of one applyer: one binary, global flags, environment and timeout. */
export interface KubectlRun {
  readonly bin: string;
  /**
   * run runs one kubectl command, bounded by the timeout and killed when `signal` aborts; a kubectl that cannot be
   * started at all makes the applyer unavailable.
   */
  run(
    args: readonly string[],
    opts?: { input?: string; signal?: AbortSignal | undefined },
  ): Promise<RunResult>;
  /** failure is what a failed run says: that it was killed at its timeout, or kubectl's error lines. */
  failure(result: RunResult, command: string): string;
}

/** createKubectlRun binds kubectl's binary, its global flags (`--kubeconfig`, `--context`), environment and timeout. */
export function createKubectlRun(options: {
  bin: string;
  global: readonly string[];
  env: Record<string, string>;
  timeoutMs: number;
  run: RunCommand;
}): KubectlRun {
  const { bin, global, env, timeoutMs } = options;
  return {
    bin,
    async run(args, opts = {}) {
      const result = await options.run(bin, [...global, ...args], {
        timeoutMs,
        env,
        ...(opts.input === undefined ? {} : { input: opts.input }),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      if (result.spawnError) {
        throw new ApplyerUnavailableError(KUBECTL_APPLYER, `cannot start ${bin}: ${result.spawnError}`);
      }
      return result;
    },
    failure(result, command) {
      return result.timedOut ? killedMessage(`kubectl ${command}`, timeoutMs) : cleanMessage(result.stderr);
    },
  };
}

/** cleanMessage keeps kubectl's error lines and drops its deprecation warnings. */
export function cleanMessage(stderr: string): string {
  const lines = stderr
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("Warning:"));
  return lines.join("\n") || stderr.trim();
}

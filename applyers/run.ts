import { execa } from "execa";

/** RunResult is what a finished (or never started) process gave back. */
export interface RunResult {
  /** exitCode is undefined when the process never started or was killed. */
  exitCode?: number;
  stdout: string;
  stderr: string;
  /** spawnError is set ("ENOENT", "EACCES", …) when the binary could not be started at all. */
  spawnError?: string;
}

/** RunCommand starts a process with optional stdin and never throws for a non-zero exit. */
export type RunCommand = (
  file: string,
  args: readonly string[],
  opts?: { input?: string; timeoutMs?: number; env?: Record<string, string> },
) => Promise<RunResult>;

/** runWithExeca is the production {@link RunCommand}. */
export const runWithExeca: RunCommand = async (file, args, opts = {}) => {
  const result = await execa(file, [...args], {
    input: opts.input ?? "",
    reject: false,
    timeout: opts.timeoutMs,
    env: opts.env,
    stripFinalNewline: false,
  });
  const code = (result as { code?: string }).code;
  const spawnError = result.exitCode === undefined && code && code !== "ETIMEDOUT" ? code : undefined;
  return {
    exitCode: result.exitCode,
    stdout: String(result.stdout ?? ""),
    stderr: `${String(result.stderr ?? "")}${result.timedOut ? `\ntimed out after ${opts.timeoutMs}ms` : ""}`,
    ...(spawnError ? { spawnError } : {}),
  };
};

/** mapLimit maps with at most `limit` calls in flight, keeping input order in the output. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

import type { Readable } from "node:stream";

/** RunOutput is what a child printed: stdout up to its bound (`stdoutOverflow` once it passed it), stderr whole. */
export interface RunOutput {
  stdout: string;
  stderr: string;
  stdoutOverflow: boolean;
}

/**
 * collectOutput gathers a child's stdout and stderr. Past `maxStdoutBytes` of stdout it keeps no more and calls
 * `onOverflow` once, so a run cannot take unbounded memory.
 */
export function collectOutput(
  child: { readonly stdout: Readable; readonly stderr: Readable },
  maxStdoutBytes: number | undefined,
  onOverflow: () => void,
): { read(): RunOutput } {
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  let stdoutBytes = 0;
  let overflowed = false;
  child.stdout.on("data", (chunk: Buffer) => {
    if (overflowed) return;
    stdoutBytes += chunk.length;
    if (maxStdoutBytes !== undefined && stdoutBytes > maxStdoutBytes) {
      overflowed = true;
      onOverflow();
    } else stdout.push(chunk);
  });
  child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
  return {
    read: () => ({
      stdout: Buffer.concat(stdout).toString("utf8"),
      stderr: Buffer.concat(stderr).toString("utf8"),
      stdoutOverflow: overflowed,
    }),
  };
}

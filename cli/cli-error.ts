/** EXIT are the CLI's exit statuses: done, failed (or, for diff, changes found), bad usage or configuration. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/**
 * CliError stops a command with an exit status and a message for stderr that says what went wrong and what to do
 * next. It never carries a token's value.
 */
export class CliError extends Error {
  readonly exitCode: number;

  constructor(exitCode: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CliError";
    this.exitCode = exitCode;
  }
}

/** usageError is a CliError with exit status 2 that points at the command's help. */
export function usageError(message: string, command?: string): CliError {
  return new CliError(EXIT.usage, `${message}\nSee: simple-gitops ${command ? `${command} ` : ""}--help`);
}

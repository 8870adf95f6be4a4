import type { StartupDeps } from "./startup.js";

/**
 * ProcessEdge is everything of the process the controller touches: argv aside, what start-up reads (environment,
 * files, stdout, stderr), the signals it stops on and the exit. main.ts builds it from `process`; nothing below reads
 * `process` itself.
 */
export interface ProcessEdge extends StartupDeps {
  /** onSignal calls `handler` on every delivery of `signal`, for the life of the process. */
  readonly onSignal: (signal: NodeJS.Signals, handler: () => void) => void;
  readonly exit: (code: number) => void;
}

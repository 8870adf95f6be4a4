import pino, { type Logger } from "pino";
import pretty from "pino-pretty";

/** LogFormat is `json` (one object per line, for log pipelines) or `pretty` (colourised, for people). */
export type LogFormat = "json" | "pretty";

/**
 * REDACT_PATHS are censored by pino wherever they appear in a log record: a credential passed by mistake in a
 * request or error object still never reaches the log.
 */
export const REDACT_PATHS = [
  "token",
  "*.token",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  "request.headers.authorization",
];

/** createLogger builds the process logger; `destination` defaults to stderr so stdout stays free for YAML. */
export function createLogger(
  options: { format?: LogFormat; level?: string; destination?: NodeJS.WritableStream } = {},
): Logger {
  const destination = options.destination ?? process.stderr;
  const settings = { level: options.level ?? "info", redact: { paths: REDACT_PATHS, censor: "[redacted]" } };
  if (options.format === "pretty") {
    return pino(
      settings,
      pretty({ destination: destination as NodeJS.WritableStream & { fd?: number }, sync: true }),
    );
  }
  return pino(settings, destination);
}

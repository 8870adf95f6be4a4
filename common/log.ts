import { createRequire } from "node:module";
import pino, { type Logger } from "pino";
import type PinoPretty from "pino-pretty";
import { prettyLine } from "./pretty-line.js";

/**
 * LogFormat is `json` (one object per line, for log pipelines) or `pretty` (for people: one colourised line per
 * event, see prettyLine).
 */
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
    // Loaded only here: pino-pretty and its colour and date libraries would cost every JSON-logging process
    // (the image's default) memory for code it never runs. A synchronous require keeps createLogger synchronous.
    const pretty = createRequire(import.meta.url)("pino-pretty") as typeof PinoPretty;
    return pino(
      settings,
      pretty({
        destination: destination as NodeJS.WritableStream & { fd?: number },
        sync: true,
        // One line per event: pino-pretty's own layout spends a line per field (~8 per applied object), so the
        // message carries the fields and the object is not printed again (singleLine would then end no line).
        hideObject: true,
        // `name` too: pino-pretty would print an object's name as the logger's.
        ignore: "pid,hostname,name",
        messageFormat: (record) => prettyLine(record as Record<string, unknown>),
      }),
    );
  }
  return pino(settings, destination);
}

import { formatDuration, parseDuration } from "../controller/config/duration.js";
import { usageError } from "./cli-error.js";
import { type Flags, stringFlag } from "./command.js";

/** MAX_TIMEOUT_S bounds --timeout: a day, far below what Node's timers can hold. */
const MAX_TIMEOUT_S = 24 * 3600;

/** timeoutFlag reads --timeout as the config writes durations (`90s`, `5m`, `1h30m`) and returns milliseconds. */
export function timeoutFlag(flags: Flags, verb: string, defaultSeconds: number): number {
  const text = stringFlag(flags, "timeout");
  if (text === undefined) return defaultSeconds * 1000;
  const seconds = parseDuration(text);
  if (seconds === undefined || seconds < 1 || seconds > MAX_TIMEOUT_S)
    throw usageError(
      `--timeout must be a duration from 1s to ${formatDuration(MAX_TIMEOUT_S)} (30s, 5m, 1h30m), not "${text}"`,
      verb,
    );
  return seconds * 1000;
}

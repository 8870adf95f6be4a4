const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

/**
 * parseDuration turns `60`, `"60"`, `"30s"`, `"5m"` or `"1h30m"` into seconds; it returns undefined for anything
 * else (including negative numbers) so the caller can report the field path.
 */
export function parseDuration(input: unknown): number | undefined {
  if (typeof input === "number") return Number.isFinite(input) && input >= 0 ? input : undefined;
  if (typeof input !== "string") return undefined;
  const text = input.trim();
  if (/^\d+(?:\.\d+)?$/.test(text)) return Number(text);
  if (!DURATION.test(text)) return undefined;
  let seconds = 0;
  for (const [, amount, unit] of text.matchAll(PART)) {
    seconds += Number(amount) * (UNIT_SECONDS[unit ?? "s"] ?? 1);
  }
  return seconds;
}

/** DurationBounds is the range a duration setting accepts, in seconds; with `off`, 0 is accepted too. */
export interface DurationBounds {
  readonly min: number;
  readonly max: number;
  /** What 0 does, when 0 turns the feature off ("do not wait"). */
  readonly off?: string;
}

const DAY = 24 * 3600;

/**
 * DURATION_BOUNDS are the ranges of the config's durations. At least 1 s: a shorter poll or reconcile is a busy
 * loop against GitHub or the apiserver, a shorter timeout fails every call. At most a day: a longer interval leaves
 * a missed change or a drift in place for days, a call still running after a day is hung; and every bound stays far
 * below the 24.8 days Node's timers can hold, past which a timer fires at once.
 */
export const DURATION_BOUNDS: Readonly<
  Record<"poll_interval" | "reconcile_interval" | "apply_timeout" | "health_timeout", DurationBounds>
> = {
  poll_interval: { min: 1, max: DAY },
  reconcile_interval: { min: 1, max: DAY, off: "do not reconcile between changes" },
  apply_timeout: { min: 1, max: DAY },
  health_timeout: { min: 1, max: DAY, off: "do not wait" },
};

/** formatDuration writes seconds the way a config would: `24h`, `90s`, `1500ms`. */
export function formatDuration(seconds: number): string {
  if (seconds === 0) return "0s";
  for (const [unit, size] of [
    ["h", 3600],
    ["m", 60],
    ["s", 1],
  ] as const) {
    if (seconds >= size && Number.isInteger(seconds / size)) return `${seconds / size}${unit}`;
  }
  return `${Number((seconds * 1000).toPrecision(6))}ms`;
}

/** describeBounds says what a duration setting accepts: `from 1s to 24h, or 0 to do not wait`. */
function describeBounds(bounds: DurationBounds): string {
  const range = `from ${formatDuration(bounds.min)} to ${formatDuration(bounds.max)}`;
  return bounds.off === undefined ? range : `${range}, or 0 (${bounds.off})`;
}

/**
 * checkDuration reads a duration setting and checks it against its bounds: the seconds, or a message saying the
 * allowed range. Only the parsed value is shown back, never the raw input.
 */
export function checkDuration(
  input: unknown,
  bounds: DurationBounds,
): { readonly seconds: number } | { readonly message: string } {
  const seconds = parseDuration(input);
  if (seconds === undefined)
    return {
      message: `expected seconds or a duration like "30s", "5m", "1h30m", ${describeBounds(bounds)}`,
    };
  if (seconds === 0 && bounds.off !== undefined) return { seconds };
  if (seconds < bounds.min || seconds > bounds.max) {
    const side = seconds < bounds.min ? "under the minimum" : "over the maximum";
    return { message: `${formatDuration(seconds)} is ${side}: expected ${describeBounds(bounds)}` };
  }
  return { seconds };
}

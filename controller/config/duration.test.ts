import { describe, expect, it } from "vitest";
import { MAX_TIMER_DELAY_MS } from "../../common/timer-delay.js";
import { ConfigError } from "./config-error.js";
import { checkDuration, DURATION_BOUNDS, formatDuration } from "./duration.js";
import { parseConfig } from "./load.js";
import type { Config } from "./types.js";

const BASE = `
github_configs:
  g: { repo_owner: o, repo_name: r }
services:
  - name: web
    github: g
    k8s_yaml_dir: k8s
`;

/** Every duration of the config: where it is written, and where the parsed seconds land. */
const FIELDS = [
  {
    path: "poll_interval",
    bounds: DURATION_BOUNDS.poll_interval,
    yaml: (value: string) => `${BASE}poll_interval: ${value}\n`,
    read: (config: Config) => config.pollIntervalSeconds,
  },
  {
    path: "reconcile_interval",
    bounds: DURATION_BOUNDS.reconcile_interval,
    yaml: (value: string) => `${BASE}reconcile_interval: ${value}\n`,
    read: (config: Config) => config.services[0]?.reconcileIntervalSeconds,
  },
  {
    path: "services[0].reconcile_interval",
    bounds: DURATION_BOUNDS.reconcile_interval,
    yaml: (value: string) => `${BASE}    reconcile_interval: ${value}\n`,
    read: (config: Config) => config.services[0]?.reconcileIntervalSeconds,
  },
  {
    path: "apply_timeout",
    bounds: DURATION_BOUNDS.apply_timeout,
    yaml: (value: string) => `${BASE}apply_timeout: ${value}\n`,
    read: (config: Config) => config.applyTimeoutSeconds,
  },
  {
    path: "health_timeout",
    bounds: DURATION_BOUNDS.health_timeout,
    yaml: (value: string) => `${BASE}health_timeout: ${value}\n`,
    read: (config: Config) => config.healthTimeoutSeconds,
  },
];

/** Values inside every field's range, as YAML, with the seconds they mean. */
const ACCEPTED: [string, string, number][] = [
  ["a bare number", "60", 60],
  ["a quoted number", '"60"', 60],
  ["seconds", "90s", 90],
  ["minutes", "5m", 300],
  ["hours and minutes", "1h30m", 5400],
  ["milliseconds adding up to more than a second", "1500ms", 1.5],
  ["fractional seconds", "1.5s", 1.5],
  ["a fractional number", "2.5", 2.5],
  ["fractional hours", "0.25h", 900],
  ["the minimum", "1s", 1],
  ["the maximum", "24h", 86_400],
  ["the maximum in seconds", "86400", 86_400],
  ["a number in exponent form", "1e3", 1000],
];

/** Values outside every field's range (or not durations at all), as YAML, with what the message must say. */
const REFUSED: [string, string, RegExp][] = [
  ["one millisecond", "1ms", /^1ms is under the minimum: expected from 1s to 24h/],
  ["half a second as a number", "0.5", /^500ms is under the minimum/],
  ["999 milliseconds", '"999ms"', /^999ms is under the minimum/],
  ["1000 hours", "1000h", /^1000h is over the maximum: expected from 1s to 24h/],
  ["1000 hours quoted", '"1000h"', /^1000h is over the maximum/],
  ["one second past a day", "24h1s", /^86401s is over the maximum/],
  ["a day and a second as a number", "86401", /^86401s is over the maximum/],
  ["a huge number", "1e300", /is over the maximum: expected from 1s to 24h/],
  ["a number of more digits than a double holds", "99999999999999999999999", /is over the maximum/],
  ["a huge number of hours", '"99999999999999999999h"', /is over the maximum/],
  ["Node's timer limit in milliseconds", `${MAX_TIMER_DELAY_MS + 1}ms`, /is over the maximum/],
  ["a negative number", "-5", /^expected seconds or a duration like "30s", "5m", "1h30m", from 1s to 24h/],
  ["a word", "often", /^expected seconds or a duration like/],
  ["a unit of days, which there is none of", "2d", /^expected seconds or a duration like/],
  ["a space between parts", '"1h 30m"', /^expected seconds or a duration like/],
  ["a boolean", "true", /^expected seconds or a duration like/],
  ["a list", "[60]", /^expected seconds or a duration like/],
  ["null", "null", /^expected seconds or a duration like/],
];

function issueAt(text: string, path: string): string | undefined {
  try {
    parseConfig(text);
  } catch (error: unknown) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues.find((issue) => issue.path === path)?.message;
  }
  return undefined;
}

describe.each(FIELDS)("$path", ({ path, bounds, yaml, read }) => {
  it.each(ACCEPTED)("accepts %s (%s)", (_name, value, seconds) => {
    expect(read(parseConfig(yaml(value)))).toBe(seconds);
  });

  it.each(REFUSED)("refuses %s (%s), naming the path and the range", (_name, value, message) => {
    const issue = issueAt(yaml(value), path);
    expect(issue).toMatch(message);
  });

  it(bounds.off === undefined ? "refuses 0" : "reads 0 as off", () => {
    for (const zero of ["0", '"0s"', "0ms"]) {
      if (bounds.off === undefined) expect(issueAt(yaml(zero), path)).toMatch(/^0s is under the minimum/);
      else expect(read(parseConfig(yaml(zero)))).toBe(0);
    }
  });

  it("says what 0 does in the range, where 0 is accepted", () => {
    const issue = issueAt(yaml("1000h"), path) ?? "";
    if (bounds.off === undefined) expect(issue).not.toContain("or 0");
    else expect(issue).toContain(`or 0 (${bounds.off})`);
  });
});

describe("duration bounds", () => {
  it.each(Object.entries(DURATION_BOUNDS))("%s stays within what Node's timers hold", (_field, bounds) => {
    expect(bounds.min).toBeGreaterThan(0);
    expect(bounds.min).toBeLessThan(bounds.max);
    expect(bounds.max * 1000).toBeLessThanOrEqual(MAX_TIMER_DELAY_MS);
  });

  it("reports every duration out of range at once", () => {
    let issues: readonly { path: string }[] = [];
    try {
      parseConfig(
        `${BASE}    reconcile_interval: 25h\npoll_interval: 1ms\nreconcile_interval: 1000h\napply_timeout: 0\nhealth_timeout: 90000`,
      );
    } catch (error: unknown) {
      if (error instanceof ConfigError) issues = error.issues;
    }
    expect(issues.map((issue) => issue.path).sort()).toEqual(FIELDS.map((field) => field.path).sort());
  });

  it.each([
    [0, "0s"],
    [0.001, "1ms"],
    [1.5, "1500ms"],
    [90, "90s"],
    [300, "5m"],
    [5400, "90m"],
    [86_400, "24h"],
    [3_600_000, "1000h"],
  ])("writes %d seconds as %s", (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
    expect(checkDuration(text, { min: 0, max: Number.POSITIVE_INFINITY })).toEqual({ seconds });
  });
});

import pino from "pino";
import { describe, expect, it } from "vitest";
import { createManualTime } from "../../test/manual-time.js";
import { parseConfig } from "../config/load.js";
import { createProgressTracker, LIVENESS_MARGIN_MS, livenessLimitMs } from "./observe.js";

function trackerWithLog() {
  const time = createManualTime();
  const lines: { level: number; msg: string; call?: string; seconds?: number }[] = [];
  const log = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const tracker = createProgressTracker({ limitMs: 600_000, slowMs: 60_000, clock: time, timers: time, log });
  return { time, lines, tracker };
}

const never = () => new Promise<never>(() => {});

describe("the progress tracker", () => {
  it("derives the limit from the config: twice the longest call's own bound, plus a margin", () => {
    const config = parseConfig(
      `github_configs: { g: { repo_owner: o, repo_name: r } }
services: [{ name: s, github: g, k8s_yaml_dir: d }]
apply_timeout: 7m
health_timeout: 2m`,
      "c.yaml",
    );
    expect(livenessLimitMs(config)).toBe(2 * config.applyTimeoutSeconds * 1000 + LIVENESS_MARGIN_MS);
    expect(livenessLimitMs({ ...config, applyTimeoutSeconds: 10, healthTimeoutSeconds: 200 })).toBe(
      2 * 200_000 + LIVENESS_MARGIN_MS,
    );
  });

  it("calls a run stuck once no call started or ended for longer than the limit, naming the one in flight", async () => {
    const { time, tracker } = trackerWithLog();
    void tracker.track("apply of 3 objects of service web (kubectl)", never);
    await time.advance(600_000);
    expect(tracker.liveness(true)).toMatchObject({ ok: true, sinceProgressSeconds: 600 });
    await time.advance(1_000);
    expect(tracker.liveness(true)).toEqual({
      ok: false,
      limitSeconds: 600,
      sinceProgressSeconds: 601,
      inFlight: [{ call: "apply of 3 objects of service web (kubectl)", seconds: 601 }],
    });
  });

  it.each([
    ["forward by an hour", 3_600_000],
    ["back by an hour", -3_600_000],
    ["forward by a year", 365 * 86_400_000],
  ])("measures progress on the monotonic clock when the wall clock steps %s", async (_name, step) => {
    const { time, tracker } = trackerWithLog();
    void tracker.track("apply of 3 objects of service web (kubectl)", never);
    await time.advance(30_000);
    time.stepWall(step);
    expect(tracker.liveness(true)).toMatchObject({ ok: true, sinceProgressSeconds: 30 });
    await time.advance(571_000);
    expect(tracker.liveness(true)).toEqual({
      ok: false,
      limitSeconds: 600,
      sinceProgressSeconds: 601,
      inFlight: [{ call: "apply of 3 objects of service web (kubectl)", seconds: 601 }],
    });
  });

  it("counts each call that ends as progress, and an idle loop as never stuck", async () => {
    const { time, tracker } = trackerWithLog();
    for (let i = 0; i < 3; i++) {
      await time.advance(400_000);
      await tracker.track("GitHub GET /repos/o/r", async () => "ok");
    }
    expect(tracker.liveness(true)).toMatchObject({ ok: true, inFlight: [] });
    await time.advance(10_000_000);
    expect(tracker.liveness(false).ok).toBe(true);
    // The idle time does not count against the next run.
    await time.advance(1_000);
    expect(tracker.liveness(true)).toMatchObject({ ok: true, sinceProgressSeconds: 1 });
  });

  it("logs a slow call at warn each minute it stays in flight, and stops once it ends", async () => {
    const { time, lines, tracker } = trackerWithLog();
    let finish = () => {};
    const call = tracker.track("poll of o/r@main", () => new Promise<void>((resolve) => (finish = resolve)));
    await time.advance(150_000);
    expect(lines.map((l) => [l.level, l.call, l.seconds])).toEqual([
      [40, "poll of o/r@main", 60],
      [40, "poll of o/r@main", 120],
    ]);
    finish();
    await call;
    await time.advance(600_000);
    expect(lines).toHaveLength(2);
    expect(time.pending()).toBe(0);
  });
});

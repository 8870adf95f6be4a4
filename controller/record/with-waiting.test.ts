import pino from "pino";
import { describe, expect, it } from "vitest";
import { type ControllerState, emptyState, type RepoWaiting } from "./state/state.js";
import { withWaiting } from "./with-waiting.js";

const limit = (since: string, until?: string): RepoWaiting => ({
  code: "E_SOURCE_RATE_LIMITED",
  message: "rate limited",
  since,
  ...(until ? { until } : {}),
});

/** replay feeds each wait to withWaiting in turn, from the empty state, and keeps what was logged. */
function replay(steps: readonly [string, RepoWaiting | undefined][]) {
  const lines: { level: number; msg: string }[] = [];
  const log = pino({ level: "debug" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const states: ControllerState[] = [];
  let state = emptyState();
  for (const [repo, waiting] of steps) {
    state = withWaiting(state, repo, waiting, log);
    states.push(state);
  }
  const warns = lines.filter((line) => line.level === 40).map((line) => line.msg);
  const infos = lines.filter((line) => line.level === 30).map((line) => line.msg);
  return { state, states, warns, infos };
}

describe("withWaiting", () => {
  it("keeps when a lasting wait began, and warns again only for a new reset time", () => {
    const { state, warns } = replay([
      ["main", limit("2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z")],
      ["main", limit("2026-01-01T00:05:00Z", "2026-01-01T01:00:00Z")],
      ["main", limit("2026-01-01T00:10:00Z", "2026-01-01T02:00:00Z")],
    ]);
    expect(state.waiting?.main).toMatchObject({
      since: "2026-01-01T00:00:00Z",
      until: "2026-01-01T02:00:00Z",
    });
    expect(warns).toEqual([
      "waiting for GitHub's rate limit until 2026-01-01T01:00:00Z; deployed services stay deployed",
      "waiting for GitHub's rate limit until 2026-01-01T02:00:00Z; deployed services stay deployed",
    ]);
  });

  it("ends only the wait of the repository read again, saying so once", () => {
    const { state, states, infos } = replay([
      ["main", limit("2026-01-01T00:00:00Z")],
      ["other", limit("2026-01-01T00:01:00Z")],
      ["main", undefined],
      ["main", undefined],
    ]);
    expect(Object.keys(state.waiting ?? {})).toEqual(["other"]);
    expect(infos).toEqual(["GitHub answers again; the repository is polled as usual"]);
    // A repository that was not waiting leaves the state as it was, so nothing downstream sees a change.
    expect(states[3]).toBe(states[2]);
  });
});

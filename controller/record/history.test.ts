import { describe, expect, it } from "vitest";
import { findLanded, historyEntry, MAX_HISTORY, MAX_HISTORY_FILES, withHistory } from "./history.js";
import { emptyServiceState, type HistoryEntry, type ServiceState } from "./state/state.js";

const sha = (n: number) => n.toString(16).padStart(40, "a");
const entry = (n: number): HistoryEntry =>
  historyEntry({ commit: sha(n), now: Date.UTC(2026, 0, 1, 0, n), trigger: "poll", objects: n, files: [] });

/** landed lays commits 1..n over a never-deployed service as landedState does: history first, then the commit. */
function landed(n: number): ServiceState {
  let state: ServiceState = emptyServiceState();
  for (let i = 1; i <= n; i++) state = { ...withHistory(state, entry(i)), commit: sha(i) };
  return state;
}

describe("withHistory", () => {
  it("puts each newly landed commit first", () => {
    expect(landed(3).history?.map((e) => e.commit)).toEqual([sha(3), sha(2), sha(1)]);
  });

  it(`keeps only the newest ${MAX_HISTORY}`, () => {
    const history = landed(MAX_HISTORY + 7).history ?? [];
    expect(history).toHaveLength(MAX_HISTORY);
    expect(history[0]?.commit).toBe(sha(MAX_HISTORY + 7));
    expect(history.at(-1)?.commit).toBe(sha(8));
  });

  it("adds no entry when the set lands again at the commit it is at (a retry, a reconcile)", () => {
    const state = landed(2);
    expect(withHistory(state, entry(2))).toBe(state);
  });

  it("adds an entry when an older commit lands again (a rollback)", () => {
    const history = withHistory(landed(2), entry(1)).history ?? [];
    expect(history.map((e) => e.commit)).toEqual([sha(1), sha(2), sha(1)]);
  });
});

describe("historyEntry", () => {
  it(`names at most ${MAX_HISTORY_FILES} files, and none when the commit touched none`, () => {
    const files = Array.from({ length: 30 }, (_, i) => `web/${i}.yaml`);
    const many = historyEntry({ commit: "c", now: 0, trigger: "manual", objects: 3, files });
    expect(many.files).toEqual(files.slice(0, MAX_HISTORY_FILES));
    expect(entry(1)).not.toHaveProperty("files");
    expect(many).toMatchObject({
      commit: "c",
      time: "1970-01-01T00:00:00.000Z",
      trigger: "manual",
      objects: 3,
    });
  });
});

describe("findLanded", () => {
  const history = [entry(1), entry(2), { ...entry(3), commit: `abcdef1${"0".repeat(33)}` }];
  it.each([
    { name: "a full SHA", commit: sha(2), status: "found", found: sha(2) },
    { name: "a full SHA in capitals", commit: sha(2).toUpperCase(), status: "found", found: sha(2) },
    { name: "a unique prefix of 7", commit: "abcdef1", status: "found", found: `abcdef1${"0".repeat(33)}` },
    { name: "a prefix shorter than 7", commit: "abcdef", status: "missing" },
    { name: "a prefix of several", commit: "aaaaaaa", status: "ambiguous" },
    { name: "a commit never landed", commit: "1234567", status: "missing" },
  ])("$name: $status", ({ commit, status, found }) => {
    const answer = findLanded(history, commit);
    expect(answer.status).toBe(status);
    if (answer.status === "found") expect(answer.entry.commit).toBe(found);
    if (answer.status === "ambiguous") expect(answer.commits).toEqual([sha(1), sha(2)]);
  });
});

import { describe, expect, it } from "vitest";
import { createManualTime } from "../../test/manual-time.js";
import { withFailure } from "./next-state.js";
import type { ServiceState } from "./state/state.js";

const failing = (failures: number, commit?: string): ServiceState => ({
  files: {},
  inventory: [],
  objects: [],
  failures,
  lastError: { code: "E_APPLY", message: "x", at: "2026-01-01T00:00:00.000Z", ...(commit ? { commit } : {}) },
});

describe("withFailure", () => {
  const time = createManualTime(Date.UTC(2026, 0, 1));
  const deps = { clock: time, retryBaseMs: 1_000 };
  it.each([
    { name: "the same commit again", state: failing(3, "a"), commit: "a", failures: 4, delayMs: 8_000 },
    { name: "a new commit", state: failing(3, "a"), commit: "b", failures: 1, delayMs: 1_000 },
    {
      name: "a source error after a commit failed",
      state: failing(3, "a"),
      commit: undefined,
      failures: 4,
      delayMs: 8_000,
    },
    { name: "a commit after a source error", state: failing(2), commit: "b", failures: 3, delayMs: 4_000 },
    {
      name: "a first failure",
      state: { ...failing(0), lastError: undefined },
      commit: "a",
      failures: 1,
      delayMs: 1_000,
    },
  ])("backs off from the failures of $name", ({ state, commit, failures, delayMs }) => {
    const next = withFailure(state, { commit, error: { code: "E_APPLY", message: "m" } }, deps);
    expect(next.failures).toBe(failures);
    expect(Date.parse(next.retryAfter ?? "") - time.now()).toBe(delayMs);
  });
});

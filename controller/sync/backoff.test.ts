import { describe, expect, it } from "vitest";
import { emptyServiceState, type ServiceState, type Trigger } from "../record/state/state.js";
import { attemptNote, heldCommit } from "./backoff.js";

const NOW = Date.parse("2026-01-01T12:00:00Z");
const at = (ms: number) => new Date(NOW + ms).toISOString();
const failedAt = (commit: string, retryIn: number): ServiceState => ({
  ...emptyServiceState(),
  commit: "landed",
  failures: 2,
  retryAfter: at(retryIn),
  lastError: { code: "E_APPLY", message: "denied", at: at(-1000), commit },
});

describe("heldCommit", () => {
  const cases: [string, ServiceState, Trigger, string | undefined][] = [
    ["a poll within the backoff holds the failed commit", failedAt("bad", 1), "poll", "bad"],
    ["a poll once the backoff ran out holds nothing", failedAt("bad", 0), "poll", undefined],
    ["a webhook does not wait", failedAt("bad", 60_000), "webhook", undefined],
    ["a manual sync does not wait", failedAt("bad", 60_000), "manual", undefined],
    ["a service that never failed holds nothing", emptyServiceState(), "poll", undefined],
  ];
  it.each(cases)("%s", (_name, state, trigger, held) => {
    expect(heldCommit(state, trigger, NOW)).toBe(held);
  });
});

describe("attemptNote", () => {
  const cases: [string, ServiceState, string, Trigger, string | undefined][] = [
    [
      "a poll retrying the failed commit",
      failedAt("bad", 0),
      "bad",
      "poll",
      "retry of commit bad after backoff",
    ],
    ["a webhook retrying it", failedAt("bad", 0), "bad", "webhook", "retry of commit bad (webhook)"],
    [
      "a new head while a commit failed",
      failedAt("bad", 0),
      "fix",
      "poll",
      "new head fix, replacing failed commit bad",
    ],
    ["a new head", { ...emptyServiceState(), commit: "landed" }, "next", "poll", "new head next"],
    ["the landed set again", { ...emptyServiceState(), commit: "landed" }, "landed", "reconcile", undefined],
  ];
  it.each(cases)("%s", (_name, state, commit, trigger, note) => {
    expect(attemptNote(state, commit, trigger)).toBe(note);
  });
});

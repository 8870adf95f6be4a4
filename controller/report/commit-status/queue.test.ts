import { describe, expect, it } from "vitest";
import { captureLogger } from "../../../test/github-server/harness.js";
import { createManualTime } from "../../../test/manual-time.js";
import { createStatusQueue } from "./queue.js";
import type { PostOutcome } from "./queue-drain.js";
import type { CommitStatus } from "./status.js";

const status = (state: CommitStatus["state"], context = "simple-gitops/c/web", sha = "a".repeat(40)) => ({
  repoKey: "main",
  sha,
  state,
  context,
  description: state,
});

/** world is a queue whose posts answer from `answers` in turn (then ok), recording what was sent and when. */
function world(answers: PostOutcome[] = [], options: { maxQueue?: number; attempts?: number } = {}) {
  const time = createManualTime();
  const { log, lines } = captureLogger();
  const sent: { state: string; context: string; at: number }[] = [];
  const queue = createStatusQueue({
    post: async (posted) => {
      sent.push({ state: posted.state, context: posted.context, at: time.monotonic() });
      return answers.shift() ?? { ok: true };
    },
    clock: time,
    timers: time,
    log: log as never,
    baseDelayMs: 1000,
    maxDelayMs: 8000,
    spacingMs: 0,
    ...options,
  });
  return { queue, time, sent, lines };
}

// Lets the queue's promise chains run up to their next timer before manual time moves.
const settle = () => new Promise((resolve) => setImmediate(resolve));

const retryable: PostOutcome = { ok: false, retry: true, reason: "GitHub did not take it (502)" };

describe("commit status queue", () => {
  it("retries a status GitHub did not take, with doubling waits, then gives up and says so", async () => {
    const { queue, time, sent, lines } = world([retryable, retryable, retryable], { attempts: 3 });
    queue.enqueue(status("success"));
    await settle();
    await time.advance(60_000);
    await queue.idle();
    expect(sent.map((entry) => entry.at - (sent[0]?.at ?? 0))).toEqual([0, 1000, 3000]);
    expect(lines.filter((line) => line.level === "warn").map((line) => line.message)).toEqual([
      "commit status not set, will retry: GitHub did not take it (502)",
      "commit status not set, will retry: GitHub did not take it (502)",
      "commit status not set: GitHub did not take it (502)",
    ]);
  });

  it("waits as long as GitHub's Retry-After asks when that is longer than its own backoff", async () => {
    const { queue, time, sent } = world([{ ...retryable, retryAfterMs: 7000 }]);
    queue.enqueue(status("success"));
    await settle();
    await time.advance(60_000);
    expect(sent.map((entry) => entry.at - (sent[0]?.at ?? 0))).toEqual([0, 7000]);
  });

  it("retries after its backoff when the wall clock steps an hour back meanwhile", async () => {
    const { queue, time, sent } = world([retryable]);
    queue.enqueue(status("success"));
    await settle();
    time.stepWall(-3_600_000);
    await time.advance(60_000);
    expect(sent.map((entry) => entry.at - (sent[0]?.at ?? 0))).toEqual([0, 1000]);
  });

  it("does not retry a refusal that asking again cannot change", async () => {
    const { queue, time, sent } = world([{ ok: false, retry: false, reason: "GitHub answered 403" }]);
    queue.enqueue(status("pending"));
    await settle();
    await time.advance(60_000);
    expect(sent).toHaveLength(1);
  });

  it("sends only the newest state of a commit and context that waits for a retry", async () => {
    const { queue, time, sent } = world([retryable]);
    queue.enqueue(status("pending"));
    await settle();
    // The pending status waits a second for its retry when the sync's outcome arrives: no time needs to pass.
    queue.enqueue(status("success"));
    await queue.idle();
    await time.advance(60_000);
    expect(sent.map((entry) => entry.state)).toEqual(["pending", "success"]);
  });

  it("does not retry a state that a newer one replaced while it was being posted", async () => {
    const { queue, time, sent } = world([retryable]);
    queue.enqueue(status("pending"));
    // The pending status is in flight (its post has not answered yet) when the sync's outcome arrives.
    queue.enqueue(status("success"));
    await settle();
    await time.advance(60_000);
    await queue.idle();
    expect(sent.map((entry) => entry.state)).toEqual(["pending", "success"]);
  });

  it("keeps at most maxQueue statuses while GitHub is down, dropping the oldest", async () => {
    const { queue, sent } = world([{ ok: false, retry: false, reason: "x" }], { maxQueue: 2 });
    for (const context of ["s/1", "s/2", "s/3", "s/4"]) queue.enqueue(status("success", context));
    await queue.idle();
    // s/1 went out at once; of s/2..s/4 waiting behind it, the oldest was dropped.
    expect(sent.map((entry) => entry.context)).toEqual(["s/1", "s/3", "s/4"]);
  });
});

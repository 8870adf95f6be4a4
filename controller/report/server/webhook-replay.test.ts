import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createManualTime } from "../../../test/manual-time.js";
import { startTestServer } from "../../../test/server/test-harness.js";
import { deliver } from "../../../test/server/webhook-test-client.js";
import { COALESCE_WINDOW_MS, coalesceWindowMs } from "./webhook-coalesce.js";

// The test config tracks Codertocat/Hello-World@master as "hello" and AI-Infra-Team/nokube@main as "nokube",
// polled every 60 s.
// The coalescing window at the default 60 s poll interval: capped at COALESCE_WINDOW_MS.
const INTERVAL = COALESCE_WINDOW_MS;
const WINDOW = 10 * 60_000;
const push = (repo: "hello" | "nokube", after: string) => ({
  ref: repo === "hello" ? "refs/heads/master" : "refs/heads/main",
  after: after.repeat(40),
  repository: { full_name: repo === "hello" ? "Codertocat/Hello-World" : "AI-Infra-Team/nokube" },
});
const BODIES = {
  a: push("hello", "a"),
  b: push("hello", "b"),
  c: push("hello", "c"),
  d: push("hello", "d"),
  n1: push("nokube", "1"),
  n2: push("nokube", "2"),
};

type Step =
  | {
      /** the body to send */
      readonly send: keyof typeof BODIES;
      /** a label for the `X-GitHub-Delivery` id (the same label sends the same id); null sends none */
      readonly id?: string | null;
      readonly secret?: string;
      /** the answer: its HTTP status and its `status` field ("" for an error) */
      readonly answer: [number, string];
    }
  | { readonly advance: number };

describe("webhook: replays and repeated pushes", () => {
  const cases: { name: string; steps: Step[]; syncs: string[] }[] = [
    {
      name: "a body replayed under a new id is a duplicate",
      steps: [
        { send: "a", answer: [202, "accepted"] },
        { send: "a", answer: [200, "duplicate"] },
        { send: "a", answer: [200, "duplicate"] },
      ],
      syncs: ["hello"],
    },
    {
      name: "a body replayed without an id is a duplicate",
      steps: [
        { send: "a", id: null, answer: [202, "accepted"] },
        { send: "a", id: null, answer: [200, "duplicate"] },
      ],
      syncs: ["hello"],
    },
    {
      name: "a body first sent without an id is a duplicate under one",
      steps: [
        { send: "a", id: null, answer: [202, "accepted"] },
        { send: "a", id: "x", answer: [200, "duplicate"] },
      ],
      syncs: ["hello"],
    },
    {
      name: "a delivery id seen before is a duplicate whatever its body",
      steps: [
        { send: "a", id: "x", answer: [202, "accepted"] },
        { send: "b", id: "x", answer: [200, "duplicate"] },
        { advance: INTERVAL },
      ],
      syncs: ["hello"],
    },
    {
      name: "a body unverified the first time is not a duplicate when it verifies",
      steps: [
        { send: "a", secret: "guess", answer: [401, ""] },
        { send: "a", answer: [202, "accepted"] },
      ],
      syncs: ["hello"],
    },
    {
      name: "a body replayed just inside the window is a duplicate",
      steps: [
        { send: "a", answer: [202, "accepted"] },
        { advance: WINDOW - 1 },
        { send: "a", answer: [200, "duplicate"] },
      ],
      syncs: ["hello"],
    },
    {
      name: "a body sent again after the window is a new delivery",
      steps: [
        { send: "a", answer: [202, "accepted"] },
        { advance: WINDOW },
        { send: "a", answer: [202, "accepted"] },
      ],
      syncs: ["hello", "hello"],
    },
    {
      name: "pushes within the interval make one poll when it ends",
      steps: [
        { send: "a", answer: [202, "accepted"] },
        { send: "b", answer: [202, "coalesced"] },
        { send: "c", answer: [202, "coalesced"] },
        { send: "d", answer: [202, "coalesced"] },
        { advance: INTERVAL - 1 },
        { send: "b", answer: [200, "duplicate"] },
        { advance: 1 },
        { advance: 10 * INTERVAL },
      ],
      syncs: ["hello", "hello"],
    },
    {
      name: "a push during the interval of a coalesced poll waits for its end in turn",
      steps: [
        { send: "a", answer: [202, "accepted"] },
        { send: "b", answer: [202, "coalesced"] },
        { advance: INTERVAL },
        { send: "c", answer: [202, "coalesced"] },
        { advance: INTERVAL },
        { advance: INTERVAL },
      ],
      syncs: ["hello", "hello", "hello"],
    },
    {
      name: "a push after a quiet interval is polled at once",
      steps: [
        { send: "a", answer: [202, "accepted"] },
        { advance: INTERVAL },
        { send: "b", answer: [202, "accepted"] },
      ],
      syncs: ["hello", "hello"],
    },
    {
      name: "two repositories have an interval each",
      steps: [
        { send: "a", answer: [202, "accepted"] },
        { send: "n1", answer: [202, "accepted"] },
        { send: "b", answer: [202, "coalesced"] },
        { send: "n2", answer: [202, "coalesced"] },
        { send: "n2", answer: [200, "duplicate"] },
        { advance: INTERVAL },
      ],
      syncs: ["hello", "nokube", "hello", "nokube"],
    },
  ];

  it.each(cases)("$name", async ({ steps, syncs }) => {
    const time = createManualTime();
    const t = await startTestServer({
      clock: () => new Date(time.now()),
      timers: time,
      webhookSecrets: (key) => ({ hello: "hello-secret", nokube: "hello-secret" })[key],
    });
    const ids = new Map<string, string>();
    const idOf = (label: string | null | undefined) => {
      if (label === null) return null;
      if (label === undefined) return randomUUID();
      if (!ids.has(label)) ids.set(label, randomUUID());
      return ids.get(label) ?? "";
    };
    try {
      const answers: [number, string][] = [];
      for (const step of steps) {
        if ("advance" in step) {
          await time.advance(step.advance);
          continue;
        }
        const options = { delivery: idOf(step.id), ...(step.secret ? { secret: step.secret } : {}) };
        const { status, text } = await deliver(t.url, BODIES[step.send], options);
        answers.push([status, (JSON.parse(text) as { status?: string }).status ?? ""]);
      }
      expect(answers).toEqual(steps.flatMap((step) => ("answer" in step ? [step.answer] : [])));
      expect(t.syncRequests).toEqual(syncs.map((repoKey) => ({ trigger: "webhook", repoKey })));
    } finally {
      await t.server.close();
    }
  });

  it("says why a push was coalesced and what each repository answered", async () => {
    const time = createManualTime();
    const t = await startTestServer({ clock: () => new Date(time.now()), timers: time });
    try {
      await deliver(t.url, BODIES.a);
      const delivery = randomUUID();
      const coalesced = await deliver(t.url, BODIES.b, { delivery });
      expect(JSON.parse(coalesced.text)).toEqual({
        status: "coalesced",
        event: "push",
        repos: [
          {
            repo_key: "hello",
            accepted: true,
            coalesced: true,
            reason:
              "a webhook asked for a poll of this repository less than 10 s ago; one more runs when those 10 s end",
          },
        ],
      });
      const replayed = await deliver(t.url, BODIES.b);
      expect(JSON.parse(replayed.text)).toEqual({
        status: "duplicate",
        event: "push",
        delivery: expect.any(String),
        reason: "the same body was delivered in the last 600 s",
      });
    } finally {
      await t.server.close();
    }
  });

  it("asks for nothing more once the server is closed", async () => {
    const time = createManualTime();
    const t = await startTestServer({ clock: () => new Date(time.now()), timers: time });
    await deliver(t.url, BODIES.a);
    await deliver(t.url, BODIES.b);
    await t.server.close();
    await time.advance(INTERVAL);
    expect(t.syncRequests).toHaveLength(1);
    expect(time.pending()).toBe(0);
  });
});

describe("coalesceWindowMs", () => {
  it.each([
    { poll: 2, want: 2_000 },
    { poll: 10, want: 10_000 },
    { poll: 60, want: COALESCE_WINDOW_MS },
    { poll: 3600, want: COALESCE_WINDOW_MS },
  ])("is $want ms at a poll interval of $poll s", ({ poll, want }) => {
    expect(coalesceWindowMs(poll)).toBe(want);
  });
});

import type { IncomingMessage } from "node:http";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { createManualTime } from "../../../test/manual-time.js";
import { DEFAULT_TIMEOUTS, DEFAULT_WEBHOOK_LIMITS } from "./options.js";
import { type BodyRead, readBody } from "./webhook-body.js";
import { BodyBudget } from "./webhook-budget.js";
import { SignatureVerifier } from "./webhook-signature.js";

const GRACE = DEFAULT_WEBHOOK_LIMITS.bodyGraceMs;
const RATE = DEFAULT_WEBHOOK_LIMITS.minBodyBytesPerSecond;
const STALL = DEFAULT_TIMEOUTS.bodyStallMs;
const LIMIT = 1024 * 1024;

type Step =
  | { readonly write: number; readonly times?: number; readonly every?: number }
  | { readonly advance: number }
  | { readonly end: true }
  /** another client asks for a slot while the budget's one slot is taken */
  | { readonly another: true };

describe("readBody: the pace a body must keep", () => {
  const cases: { name: string; steps: Step[]; kind: BodyRead["kind"]; between: [number, number] }[] = [
    {
      name: "a body sent at once is read",
      steps: [{ write: 1000 }, { end: true }],
      kind: "complete",
      between: [0, 0],
    },
    {
      name: "a 1000-byte body that sent one byte is cut when the grace ends",
      steps: [{ write: 1 }, { advance: 60_000 }],
      kind: "too_slow",
      between: [GRACE, GRACE + 1],
    },
    {
      name: "a body that sent nothing is cut when the grace ends",
      steps: [{ advance: 60_000 }],
      kind: "too_slow",
      between: [GRACE, GRACE],
    },
    {
      name: "a body kept at the floor's pace is read to the end",
      steps: [{ write: RATE, times: 8, every: 1000 }, { end: true }],
      kind: "complete",
      between: [7000, 7000],
    },
    {
      name: "a body at half the floor's pace is cut, however long it keeps coming",
      steps: [{ write: RATE / 2, times: 60, every: 1000 }],
      kind: "too_slow",
      between: [GRACE, 6000],
    },
    {
      name: "a body whose bytes came early is cut once the floor catches up",
      steps: [{ write: 4 * RATE }, { advance: 1000 }, { write: 10 }, { advance: 60_000 }],
      kind: "too_slow",
      between: [GRACE + 4000, GRACE + 4001],
    },
    {
      name: "a body ahead of the floor that goes silent is cut by the stall timer",
      steps: [{ write: 900_000 }, { advance: 60_000 }],
      kind: "stalled",
      between: [STALL, STALL],
    },
    {
      name: "a body over the limit is refused as it streams",
      steps: [{ write: LIMIT }, { advance: 100 }, { write: 1 }],
      kind: "too_large",
      between: [100, 100],
    },
    {
      name: "a body yields its slot to a newer client",
      steps: [{ write: 2 * RATE }, { advance: 500 }, { another: true }],
      kind: "preempted",
      between: [500, 500],
    },
  ];

  it.each(cases)("$name", async ({ steps, kind, between }) => {
    const time = createManualTime(0);
    const budget = new BodyBudget({ ...DEFAULT_WEBHOOK_LIMITS, maxInFlight: 1 });
    const entry = budget.enter("127.0.0.1", 0);
    if (!entry.slot) throw new Error("no slot");
    const stream = new PassThrough();
    let ended: { kind: string; at: number } | undefined;
    void readBody(stream as unknown as IncomingMessage, {
      stallMs: STALL,
      graceMs: GRACE,
      minBytesPerSecond: RATE,
      limit: LIMIT,
      slot: entry.slot,
      verifier: new SignatureVerifier(["s"]),
      timers: time,
    }).then((read) => {
      ended = { kind: read.kind, at: time.now() };
    });
    const settle = () => new Promise((resolve) => setImmediate(resolve));
    for (const step of steps) {
      if (ended) break;
      if ("advance" in step) await time.advance(step.advance);
      else if ("end" in step) stream.end();
      else if ("another" in step) budget.enter("127.0.0.2", 0);
      else {
        for (let i = 0; i < (step.times ?? 1) && !ended; i++) {
          if (i > 0) await time.advance(step.every ?? 0);
          if (!ended) stream.write(Buffer.alloc(step.write));
          await settle();
        }
      }
      await settle();
    }
    expect(ended?.kind).toBe(kind);
    expect(ended?.at).toBeGreaterThanOrEqual(between[0]);
    expect(ended?.at).toBeLessThanOrEqual(between[1]);
    // Whatever ended the read, no timer of it is left behind.
    expect(time.pending()).toBe(0);
  });
});

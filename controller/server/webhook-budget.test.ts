import { describe, expect, it } from "vitest";
import { createManualTime } from "../clock.js";
import { DEFAULT_WEBHOOK_LIMITS } from "./options.js";
import { BodyBudget, type BodySlot, clientKey } from "./webhook-budget.js";

const GRACE = 1000;

type Step =
  | {
      /** a client asks for a slot for a body of `bytes` (0 by default); `got` is the slot or the limit that refused */
      readonly enter: string;
      readonly bytes?: number;
      readonly got: "slot" | "address_share" | "in_flight" | "bytes";
    }
  | { readonly advance: number }
  /** the body of the n-th slot handed out (from 0) is verified */
  | { readonly release: number };

describe("BodyBudget", () => {
  const cases: {
    name: string;
    limits?: { maxInFlight?: number; maxBufferedBytes?: number };
    steps: Step[];
    /** the slots (numbered as handed out) that were taken by newcomers */
    preempted: number[];
  }[] = [
    {
      name: "one address holds at most its share, another still gets a slot",
      steps: [
        { enter: "a", got: "slot" },
        { enter: "a", got: "slot" },
        { enter: "a", got: "address_share" },
        { enter: "b", got: "slot" },
      ],
      preempted: [],
    },
    {
      name: "young bodies keep their slots: a newcomer is refused",
      limits: { maxInFlight: 3 },
      steps: [
        { enter: "a", got: "slot" },
        { enter: "b", got: "slot" },
        { enter: "c", got: "slot" },
        { advance: GRACE - 1 },
        { enter: "d", got: "in_flight" },
      ],
      preempted: [],
    },
    {
      name: "late bodies yield their slots to newcomers, oldest first",
      limits: { maxInFlight: 3 },
      steps: [
        { enter: "a", got: "slot" },
        { enter: "b", got: "slot" },
        { advance: 10 },
        { enter: "c", got: "slot" },
        { advance: GRACE - 10 },
        { enter: "d", got: "slot" },
        { enter: "e", got: "slot" },
        { enter: "f", got: "in_flight" },
      ],
      preempted: [0, 1],
    },
    {
      name: "a client at its share takes no one's slot",
      limits: { maxInFlight: 3 },
      steps: [
        { enter: "a", got: "slot" },
        { enter: "a", got: "slot" },
        { enter: "b", got: "slot" },
        { advance: GRACE },
        { enter: "a", got: "address_share" },
      ],
      preempted: [],
    },
    {
      name: "a newcomer that does not fit in the bytes takes a late body's",
      limits: { maxBufferedBytes: 1000 },
      steps: [
        { enter: "a", bytes: 600, got: "slot" },
        { enter: "b", bytes: 300, got: "slot" },
        { enter: "c", bytes: 500, got: "bytes" },
        { advance: GRACE },
        { enter: "c", bytes: 500, got: "slot" },
      ],
      preempted: [0],
    },
    {
      name: "no late body is dropped when dropping them all would not make room",
      limits: { maxBufferedBytes: 1000 },
      steps: [
        { enter: "a", bytes: 600, got: "slot" },
        { advance: GRACE },
        { enter: "b", bytes: 300, got: "slot" },
        { enter: "c", bytes: 800, got: "bytes" },
        { enter: "d", bytes: 2000, got: "bytes" },
      ],
      preempted: [],
    },
    {
      name: "a verified body frees its slot and bytes",
      limits: { maxInFlight: 2, maxBufferedBytes: 1000 },
      steps: [
        { enter: "a", bytes: 500, got: "slot" },
        { enter: "b", bytes: 500, got: "slot" },
        { enter: "c", got: "in_flight" },
        { release: 0 },
        { enter: "c", bytes: 500, got: "slot" },
      ],
      preempted: [],
    },
  ];

  it.each(cases)("$name", async ({ limits, steps, preempted }) => {
    const time = createManualTime(0);
    const budget = new BodyBudget({ ...DEFAULT_WEBHOOK_LIMITS, bodyGraceMs: GRACE, ...limits }, time);
    const slots: BodySlot[] = [];
    const taken: number[] = [];
    const got: string[] = [];
    for (const step of steps) {
      if ("advance" in step) await time.advance(step.advance);
      else if ("release" in step) slots[step.release]?.release();
      else {
        const entry = budget.enter(step.enter, step.bytes ?? 0);
        got.push(entry.refused ?? "slot");
        if (entry.slot) {
          const n = slots.push(entry.slot) - 1;
          entry.slot.onPreempt(() => taken.push(n));
        }
      }
    }
    expect(got).toEqual(steps.flatMap((step) => ("enter" in step ? [step.got] : [])));
    expect(taken).toEqual(preempted);
    for (const slot of slots) slot.release();
    expect({ inFlight: budget.inFlight, bytes: budget.bytes, timers: time.pending() }).toEqual({
      inFlight: 0,
      bytes: 0,
      timers: 0,
    });
  });
});

describe("clientKey", () => {
  const cases: { address: string | undefined; key: string }[] = [
    { address: "127.0.0.1", key: "127.0.0.1" },
    { address: "::ffff:10.1.2.3", key: "10.1.2.3" },
    { address: "2001:db8:1:2:aaaa::1", key: "2001:db8:1:2::/64" },
    { address: "2001:db8:1:2:bbbb:cccc:dddd:eeee", key: "2001:db8:1:2::/64" },
    { address: "2001:0DB8:0001:0002::", key: "2001:db8:1:2::/64" },
    { address: "2001:db8:1:3::1", key: "2001:db8:1:3::/64" },
    { address: "2001:db8::1", key: "2001:db8:0:0::/64" },
    { address: "::1", key: "0:0:0:0::/64" },
    { address: "fe80::1%eth0", key: "fe80:0:0:0::/64" },
    { address: "64:ff9b::192.0.2.1", key: "64:ff9b:0:0::/64" },
    { address: undefined, key: "unknown" },
  ];
  it.each(cases)("$address → $key", ({ address, key }) => {
    expect(clientKey(address)).toBe(key);
  });
});

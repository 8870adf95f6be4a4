import { describe, expect, it } from "vitest";
import { DEFAULT_WEBHOOK_LIMITS } from "./options.js";
import { BodyBudget, type BodySlot, clientKey } from "./webhook-budget.js";

type Step =
  | {
      /** a client asks for a slot for a body of `bytes` (0 by default); `got` is the slot or the limit that refused */
      readonly enter: string;
      readonly bytes?: number;
      readonly got: "slot" | "address_share" | "bytes";
    }
  /** the body of the n-th slot handed out (from 0) is verified */
  | { readonly release: number }
  /** the body of the n-th slot receives `bytes` more than it declared (a chunked body declares nothing) */
  | { readonly hold: number; readonly bytes: number };

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
      name: "a newcomer takes the slot of the oldest body when all are taken",
      limits: { maxInFlight: 3 },
      steps: [
        { enter: "a", got: "slot" },
        { enter: "b", got: "slot" },
        { enter: "c", got: "slot" },
        { enter: "d", got: "slot" },
        { enter: "e", got: "slot" },
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
        { enter: "a", got: "address_share" },
      ],
      preempted: [],
    },
    {
      name: "a newcomer that does not fit in the bytes takes as many of the oldest bodies as it needs",
      limits: { maxBufferedBytes: 1000 },
      steps: [
        { enter: "a", bytes: 300, got: "slot" },
        { enter: "b", bytes: 300, got: "slot" },
        { enter: "c", bytes: 300, got: "slot" },
        { enter: "d", bytes: 700, got: "slot" },
      ],
      preempted: [0, 1],
    },
    {
      name: "a length over the whole budget is refused and takes no one's slot",
      limits: { maxBufferedBytes: 1000 },
      steps: [
        { enter: "a", bytes: 600, got: "slot" },
        { enter: "b", bytes: 1001, got: "bytes" },
      ],
      preempted: [],
    },
    {
      name: "a verified body frees its slot and bytes",
      limits: { maxInFlight: 2, maxBufferedBytes: 1000 },
      steps: [
        { enter: "a", bytes: 500, got: "slot" },
        { enter: "b", bytes: 500, got: "slot" },
        { release: 0 },
        { enter: "c", bytes: 500, got: "slot" },
      ],
      preempted: [],
    },
    {
      name: "a body that grew past its declared length counts with what it holds",
      limits: { maxBufferedBytes: 1000 },
      steps: [
        { enter: "a", bytes: 0, got: "slot" },
        { hold: 0, bytes: 400 },
        { enter: "b", bytes: 500, got: "slot" },
        { enter: "c", bytes: 500, got: "slot" },
      ],
      preempted: [0],
    },
  ];

  it.each(cases)("$name", ({ limits, steps, preempted }) => {
    const budget = new BodyBudget({ ...DEFAULT_WEBHOOK_LIMITS, ...limits });
    const slots: BodySlot[] = [];
    const taken: number[] = [];
    const got: string[] = [];
    for (const step of steps) {
      if ("release" in step) slots[step.release]?.release();
      else if ("hold" in step) expect(slots[step.hold]?.hold(step.bytes)).toBe(true);
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
    expect({ inFlight: budget.inFlight, bytes: budget.bytes }).toEqual({ inFlight: 0, bytes: 0 });
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

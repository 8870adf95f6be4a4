import { afterEach, describe, expect, it, vi } from "vitest";
import { createManualTime, type ManualTime } from "../../../test/manual-time.js";
import { type RunningServer, startTestServer } from "../../../test/server/test-harness.js";
import { type RawExchange, rawRequest, webhookHead } from "../../../test/server/webhook-test-client.js";
import { DEFAULT_WEBHOOK_LIMITS } from "./options.js";
import { signBody } from "./webhook-signature.js";

const GRACE = DEFAULT_WEBHOOK_LIMITS.bodyGraceMs;
const RATE = DEFAULT_WEBHOOK_LIMITS.minBodyBytesPerSecond;
const WRONG = `sha256=${"0".repeat(64)}`;
// Timers each body being read holds: its stall and pace deadlines.
const TIMERS_PER_BODY = 2;

/** A slow client: a wrong signature, a declared length (or chunked), and only the first part of the body. */
interface Slow {
  readonly from: string;
  readonly length: number | null;
  readonly firstPart: string;
}

const slowBodies = (count: number, from: (i: number) => string, length: number | null, firstPart: string) =>
  Array.from({ length: count }, (_, i): Slow => ({ from: from(i), length, firstPart }));

const statusOf = (response: string) => Number(/^HTTP\/1\.1 (\d{3}) /.exec(response)?.[1] ?? 0);

describe("webhook: slow unverified bodies cannot keep real deliveries out", () => {
  let t: RunningServer | undefined;
  const open: RawExchange[] = [];
  afterEach(async () => {
    for (const exchange of open.splice(0)) exchange.socket.destroy();
    await t?.server.close();
  });

  /** push sends one correctly signed push from `from` in one go and answers the status it got. */
  async function push(url: string, from: string, n: number): Promise<number> {
    const body = JSON.stringify({
      ref: "refs/heads/master",
      after: String(n).repeat(40).slice(0, 40),
      repository: { full_name: "Codertocat/Hello-World" },
    });
    const head = webhookHead(url, body.length, signBody("hello-secret", body), "Connection: close");
    const exchange = await rawRequest(url, head, body, from);
    open.push(exchange);
    return statusOf(await exchange.closed);
  }

  async function holdSlow(url: string, time: ManualTime, slow: readonly Slow[]): Promise<RawExchange[]> {
    const held: RawExchange[] = [];
    for (const s of slow) {
      const exchange = await rawRequest(url, webhookHead(url, s.length, WRONG), s.firstPart, s.from);
      open.push(exchange);
      held.push(exchange);
      // One at a time, so "oldest" is the order they were opened in.
      const before = time.pending();
      await vi.waitFor(async () => {
        const answered = await Promise.race([exchange.closed, Promise.resolve(undefined)]);
        if (answered === undefined) expect(time.pending()).toBe(before + TIMERS_PER_BODY);
      });
    }
    return held;
  }

  /** settled answers the status each exchange ended with, 0 for one still open. */
  async function settled(held: readonly RawExchange[]): Promise<number[]> {
    return Promise.all(
      held.map(async (h) => {
        const answer = await Promise.race([
          h.closed,
          new Promise<undefined>((r) => setImmediate(() => r(undefined))),
        ]);
        return answer === undefined ? 0 : statusOf(answer);
      }),
    );
  }

  /**
   * start starts a server on manual time. A lower rate floor lets a body be ahead of it with a first part small
   * enough to arrive in one piece with the head, so the test knows what the server has read when it moves time.
   */
  async function start(minBodyBytesPerSecond = RATE): Promise<{ url: string; time: ManualTime }> {
    const time = createManualTime();
    t = await startTestServer({
      clock: () => new Date(time.now()),
      timers: time,
      webhookLimits: { minBodyBytesPerSecond },
    });
    return { url: t.url, time };
  }

  it("refuses the slow bodies of one address beyond its share; others' pushes go through at once", async () => {
    const { url, time } = await start();
    const held = await holdSlow(
      url,
      time,
      slowBodies(8, () => "127.0.0.1", 1000, "{"),
    );
    expect(await settled(held)).toEqual([0, 0, 503, 503, 503, 503, 503, 503]);
    const pushes = [];
    for (let n = 0; n < 5; n++) pushes.push(await push(url, `127.0.0.${2 + n}`, n));
    expect(pushes).toEqual([202, 202, 202, 202, 202]);
    // The address that holds its share gets no third slot, even for a good delivery.
    expect(await push(url, "127.0.0.1", 9)).toBe(503);
  });

  const cut: { name: string; rate?: number; slow: Slow[]; pendingAt: number; cutBy: number }[] = [
    {
      name: "a 1000-byte body that sent one byte",
      slow: slowBodies(2, () => "127.0.0.1", 1000, "{"),
      pendingAt: GRACE - 1,
      cutBy: GRACE + 1,
    },
    {
      name: "chunked bodies from two addresses that sent one chunk",
      slow: slowBodies(2, (i) => `127.0.1.${i + 1}`, null, `64\r\n${"x".repeat(100)}\r\n`),
      pendingAt: GRACE - 1,
      cutBy: GRACE + 2,
    },
    {
      name: "a body that sent half its bytes, then nothing",
      rate: 1000,
      slow: slowBodies(1, () => "127.0.0.1", 3000, "x".repeat(1500)),
      pendingAt: GRACE + 1500 - 1,
      cutBy: GRACE + 1500,
    },
    {
      name: "a chunked body that sent 1500 bytes, then nothing",
      rate: 1000,
      slow: slowBodies(1, () => "127.0.0.1", null, `5dc\r\n${"x".repeat(1500)}\r\n`),
      pendingAt: GRACE + 1500 - 1,
      cutBy: GRACE + 1500,
    },
  ];
  it.each(cut)("cuts $name with 408 once its allowance is spent, not before", async (c) => {
    const { url, time } = await start(c.rate);
    const held = await holdSlow(url, time, c.slow);
    await time.advance(c.pendingAt);
    expect(await settled(held)).toEqual(held.map(() => 0));
    await time.advance(c.cutBy - c.pendingAt);
    const answers = await Promise.all(held.map((h) => h.closed));
    expect(answers.map(statusOf)).toEqual(held.map(() => 408));
    for (const answer of answers) expect(answer).toContain(`slower than ${c.rate ?? RATE} bytes per second`);
    expect(t?.syncRequests).toEqual([]);
  });

  it("lets pushes from another address take the oldest slot that slow bodies from many addresses hold", async () => {
    const { url, time } = await start();
    const held = await holdSlow(
      url,
      time,
      slowBodies(8, (i) => `127.0.2.${i + 1}`, 1000, "{"),
    );
    const pushes = [];
    for (let n = 0; n < 5; n++) pushes.push(await push(url, `127.0.0.${2 + n}`, n));
    expect(pushes).toEqual([202, 202, 202, 202, 202]);
    // The oldest gave up its slot, which each push had in turn; the others are cut when the grace ends.
    await vi.waitFor(async () => expect(await settled(held)).toEqual([503, 0, 0, 0, 0, 0, 0, 0]));
    await time.advance(GRACE + 1);
    await vi.waitFor(async () =>
      expect(await settled(held)).toEqual([503, 408, 408, 408, 408, 408, 408, 408]),
    );
  });
});

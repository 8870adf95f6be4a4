import type { IncomingMessage } from "node:http";
import type { Timers } from "../../../common/clock.js";
import type { BodySlot } from "./webhook-budget.js";
import type { SignatureVerifier } from "./webhook-signature.js";

/** BodyRead is how reading a delivery ended. */
export type BodyRead =
  | { readonly kind: "complete"; readonly body: Buffer }
  | { readonly kind: "too_large" | "over_budget" | "preempted" | "stalled" | "too_slow" | "aborted" };

/** BodyPace is how fast an unverified body must arrive: its allowance grows with every byte that comes. */
export interface BodyPace {
  /** stallMs: a body that sends nothing for this long is given up. */
  readonly stallMs: number;
  /** graceMs: the time any body has before the rate floor applies (headers done, first bytes in flight). */
  readonly graceMs: number;
  /** minBytesPerSecond: after the grace, at least this many bytes per second since the start must have come. */
  readonly minBytesPerSecond: number;
}

/**
 * readBody reads a request body chunk by chunk into the verifier, holding the bytes only within `limit` and the
 * slot's budget. It gives up when nothing arrives for `stallMs`, and when fewer bytes than `graceMs` plus
 * `minBytesPerSecond` allow have come, declared length or chunked alike: a 1 000-byte body sent a byte a second
 * is cut after about the grace, not held for the whole request timeout. It never waits for more than the client
 * sends.
 */
export function readBody(
  stream: IncomingMessage,
  options: BodyPace & { limit: number; slot: BodySlot; verifier: SignatureVerifier; timers: Timers },
): Promise<BodyRead> {
  const { timers } = options;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let paced = 0;
    let cancelStall = () => {};
    let cancelPace = () => {};
    const finish = (result: BodyRead) => {
      cancelStall();
      cancelPace();
      stream.off("data", onData);
      stream.off("end", onEnd);
      stream.off("close", onClose);
      stream.off("error", onClose);
      if (result.kind !== "complete") {
        chunks.length = 0;
        stream.pause();
      }
      resolve(result);
    };
    const armStall = () => {
      cancelStall();
      cancelStall = timers.after(() => finish({ kind: "stalled" }), options.stallMs);
    };
    // Due when the bytes counted so far are all the floor allows for: the bytes that came since move it on by
    // their share of a second, so no clock is read.
    const pace = () => {
      if (size === paced) return finish({ kind: "too_slow" });
      const delay = ((size - paced) * 1000) / options.minBytesPerSecond;
      paced = size;
      cancelPace = timers.after(pace, delay);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > options.limit) return finish({ kind: "too_large" });
      if (!options.slot.hold(chunk.length)) return finish({ kind: "over_budget" });
      options.verifier.update(chunk);
      chunks.push(chunk);
      armStall();
    };
    const onEnd = () => finish({ kind: "complete", body: Buffer.concat(chunks, size) });
    const onClose = () => finish({ kind: "aborted" });
    if (stream.readableEnded) {
      resolve({ kind: "complete", body: Buffer.alloc(0) });
      return;
    }
    options.slot.onPreempt(() => finish({ kind: "preempted" }));
    stream.on("data", onData);
    stream.once("end", onEnd);
    stream.once("close", onClose);
    stream.once("error", onClose);
    armStall();
    cancelPace = timers.after(pace, options.graceMs);
    stream.resume();
  });
}

import type { IncomingMessage } from "node:http";
import type { WebhookLimits } from "./options.js";
import type { SignatureVerifier } from "./webhook-signature.js";

/** BodySlot is one unverified delivery's share of the in-flight budget; release it once the body is verified. */
export interface BodySlot {
  /** hold counts `bytes` more as buffered; false when that would pass the shared byte budget. */
  hold(bytes: number): boolean;
  release(): void;
}

/**
 * BodyBudget caps what deliveries not yet verified may cost together: how many are read at once and how many bytes
 * they hold. Without it, anyone who can reach the port could park many large bodies in memory.
 */
export class BodyBudget {
  #inFlight = 0;
  #bytes = 0;

  constructor(private readonly limits: Pick<WebhookLimits, "maxInFlight" | "maxBufferedBytes">) {}

  get inFlight(): number {
    return this.#inFlight;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** enter takes a slot and reserves the declared length, or answers undefined when either limit is reached. */
  enter(declaredBytes: number): BodySlot | undefined {
    if (this.#inFlight >= this.limits.maxInFlight) return undefined;
    if (this.#bytes + declaredBytes > this.limits.maxBufferedBytes) return undefined;
    this.#inFlight += 1;
    this.#bytes += declaredBytes;
    let reserved = declaredBytes;
    let held = 0;
    let released = false;
    return {
      hold: (bytes) => {
        held += bytes;
        if (held <= reserved) return true;
        const extra = held - reserved;
        if (this.#bytes + extra > this.limits.maxBufferedBytes) return false;
        this.#bytes += extra;
        reserved = held;
        return true;
      },
      release: () => {
        if (released) return;
        released = true;
        this.#inFlight -= 1;
        this.#bytes -= reserved;
      },
    };
  }
}

/** BodyRead is how reading a delivery ended. */
export type BodyRead =
  | { readonly kind: "complete"; readonly body: Buffer }
  | { readonly kind: "too_large" | "over_budget" | "stalled" | "aborted" };

/**
 * readBody reads a request body chunk by chunk into the verifier, holding the bytes only within `limit` and the
 * slot's budget, and gives up when nothing arrives for `stallMs`. It never waits for more than the client sends.
 */
export function readBody(
  stream: IncomingMessage,
  options: { limit: number; stallMs: number; slot: BodySlot; verifier: SignatureVerifier },
): Promise<BodyRead> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let timer: NodeJS.Timeout | undefined;
    const finish = (result: BodyRead) => {
      clearTimeout(timer);
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
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => finish({ kind: "stalled" }), options.stallMs);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > options.limit) return finish({ kind: "too_large" });
      if (!options.slot.hold(chunk.length)) return finish({ kind: "over_budget" });
      options.verifier.update(chunk);
      chunks.push(chunk);
      arm();
    };
    const onEnd = () => finish({ kind: "complete", body: Buffer.concat(chunks, size) });
    const onClose = () => finish({ kind: "aborted" });
    if (stream.readableEnded) {
      resolve({ kind: "complete", body: Buffer.alloc(0) });
      return;
    }
    stream.on("data", onData);
    stream.once("end", onEnd);
    stream.once("close", onClose);
    stream.once("error", onClose);
    arm();
    stream.resume();
  });
}

import { isIPv6 } from "node:net";
import type { WebhookLimits } from "./options.js";

/** BodySlot is one unverified delivery's share of the in-flight budget; release it once the body is verified. */
export interface BodySlot {
  /** hold counts `bytes` more as buffered; false when that would pass the shared byte budget. */
  hold(bytes: number): boolean;
  /** onPreempt hears that a newer delivery took this slot: the body is to be dropped and answered 503. */
  onPreempt(listener: () => void): void;
  release(): void;
}

/** Entry is a delivery's slot, or which limit refused it one. */
export type Entry =
  | { readonly slot: BodySlot; readonly refused?: undefined }
  | { readonly refused: "address_share" | "bytes"; readonly slot?: undefined };

interface Held {
  readonly client: string;
  reserved: number;
  preempt: () => void;
}

/**
 * BodyBudget caps what deliveries not yet verified may cost together: how many are read at once, how many of those
 * come from one client, and how many bytes they hold. Without it, anyone who can reach the port could park many
 * large bodies in memory. When all slots are taken, a newcomer takes the slot of the oldest body: slow bodies
 * opened from many addresses cannot keep out a real delivery, which arrives in milliseconds, while a real delivery
 * is only taken over if as many newer ones as there are slots arrive while it is read.
 */
export class BodyBudget {
  readonly #held = new Set<Held>();
  #bytes = 0;

  constructor(
    private readonly limits: Pick<
      WebhookLimits,
      "maxInFlight" | "maxInFlightPerAddress" | "maxBufferedBytes"
    >,
  ) {}

  get inFlight(): number {
    return this.#held.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** heldBy is how many bodies `client` (a {@link clientKey}) is being read from now. */
  heldBy(client: string): number {
    let count = 0;
    for (const held of this.#held) if (held.client === client) count += 1;
    return count;
  }

  /**
   * enter takes a slot for `client` and reserves the declared length, taking the slots of the oldest bodies
   * when the budget is full; it refuses when the client already holds its share or the length passes the budget.
   */
  enter(client: string, declaredBytes: number): Entry {
    if (this.heldBy(client) >= this.limits.maxInFlightPerAddress) return { refused: "address_share" };
    if (declaredBytes > this.limits.maxBufferedBytes) return { refused: "bytes" };
    // Only as many bodies as it takes, oldest first (a Set iterates in insertion order).
    for (const held of this.#held) {
      const full = this.#held.size >= this.limits.maxInFlight;
      if (!full && this.#bytes + declaredBytes <= this.limits.maxBufferedBytes) break;
      held.preempt();
    }
    return { slot: this.#admit(client, declaredBytes) };
  }

  #admit(client: string, declaredBytes: number): BodySlot {
    let listener: (() => void) | undefined;
    let held = 0;
    const entry: Held = { client, reserved: declaredBytes, preempt: () => {} };
    const release = () => {
      if (!this.#held.delete(entry)) return;
      this.#bytes -= entry.reserved;
    };
    entry.preempt = () => {
      release();
      listener?.();
    };
    this.#held.add(entry);
    this.#bytes += declaredBytes;
    return {
      hold: (bytes) => {
        held += bytes;
        if (held <= entry.reserved) return true;
        const extra = held - entry.reserved;
        if (this.#bytes + extra > this.limits.maxBufferedBytes) return false;
        this.#bytes += extra;
        entry.reserved = held;
        return true;
      },
      onPreempt: (fn) => {
        listener = fn;
      },
      release,
    };
  }
}

/**
 * clientKey names the client a connection comes from, for its share of the slots: an IPv4 address (also when
 * IPv4-mapped), or the /64 an IPv6 address is in, since one host is commonly given a whole /64.
 */
export function clientKey(address: string | undefined): string {
  if (!address) return "unknown";
  const plain = address.replace(/%.*$/, "").toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(plain);
  if (mapped?.[1]) return mapped[1];
  if (!isIPv6(plain)) return plain;
  const groups = (part: string) =>
    part === "" ? [] : part.split(":").flatMap((g) => (g.includes(".") ? ["0", "0"] : [g]));
  const [head = "", tail] = plain.split("::");
  const first = groups(head);
  const last = tail === undefined ? [] : groups(tail);
  const all = [...first, ...Array<string>(8 - first.length - last.length).fill("0"), ...last];
  return `${all
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(":")}::/64`;
}

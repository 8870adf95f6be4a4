import { createHash } from "node:crypto";
import { LruCache } from "../../../common/lru.js";

/** Repeat says how a delivery was seen before: by its `X-GitHub-Delivery` id or by its exact body. */
export type Repeat = "id" | "body";

/**
 * DeliveryMemory remembers the verified deliveries answered lately, by id and by a digest of the body. A body
 * signed once stays valid forever, so whoever captured a delivery could replay it under a new id or none; the
 * digest makes that a duplicate for `windowMs`. GitHub's own redeliveries carry the same id and body anyway.
 */
export class DeliveryMemory {
  readonly #ids: LruCache<string, true>;
  readonly #bodies: LruCache<string, number>;

  constructor(private readonly options: { remember: number; windowMs: number; now: () => number }) {
    this.#ids = new LruCache({ maxWeight: options.remember });
    this.#bodies = new LruCache({ maxWeight: options.remember });
  }

  /**
   * check says whether the delivery `id` (empty when none was sent) with `body` is a repeat, and gives the way to
   * remember it once it has been answered.
   */
  check(id: string, body: Buffer): { repeat: Repeat | undefined; remember: () => void } {
    const digest = createHash("sha256").update(body).digest("hex");
    const remember = () => {
      if (id !== "") this.#ids.set(id, true);
      this.#bodies.set(digest, this.options.now());
    };
    if (id !== "" && this.#ids.get(id)) return { repeat: "id", remember };
    const at = this.#bodies.get(digest);
    const age = at === undefined ? undefined : this.options.now() - at;
    // A clock stepped back makes the age negative: treat the body as new rather than refuse it for that long.
    const fresh = age !== undefined && age >= 0 && age < this.options.windowMs;
    return { repeat: fresh ? "body" : undefined, remember };
  }
}

/**
 * LruCache is a bounded map that forgets the least recently used entries once their total weight passes a limit.
 * Keys are content addresses (blob or tree SHAs), so an entry never goes stale; the bound only caps memory.
 */
export class LruCache<K, V> {
  readonly #entries = new Map<K, { value: V; weight: number }>();
  readonly #maxWeight: number;
  readonly #weigh: (value: V) => number;
  #weight = 0;

  constructor(options: { maxWeight: number; weigh?: (value: V) => number }) {
    this.#maxWeight = options.maxWeight;
    this.#weigh = options.weigh ?? (() => 1);
  }

  /** get returns a cached value and marks it as the most recently used. */
  get(key: K): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    // A Map iterates in insertion order: re-inserting moves the key to the young end.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.value;
  }

  /** set stores a value; one heavier than the whole limit is not stored at all. */
  set(key: K, value: V): void {
    const weight = this.#weigh(value);
    const old = this.#entries.get(key);
    if (old !== undefined) {
      this.#entries.delete(key);
      this.#weight -= old.weight;
    }
    if (weight > this.#maxWeight) return;
    this.#entries.set(key, { value, weight });
    this.#weight += weight;
    for (const [oldest, entry] of this.#entries) {
      if (this.#weight <= this.#maxWeight) break;
      this.#entries.delete(oldest);
      this.#weight -= entry.weight;
    }
  }

  /** size is the number of entries held. */
  get size(): number {
    return this.#entries.size;
  }

  /** weight is the total weight held, never above the limit. */
  get weight(): number {
    return this.#weight;
  }
}

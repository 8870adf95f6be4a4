/**
 * BoundedSet remembers the newest `capacity` keys, forgetting the oldest first, so de-duplication of notifications
 * cannot grow without bound over months of commits.
 */
export class BoundedSet {
  readonly #keys = new Set<string>();
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** add records a key; it returns false when the key was already there. */
  add(key: string): boolean {
    if (this.#keys.has(key)) return false;
    this.#keys.add(key);
    if (this.#keys.size > this.#capacity) {
      const oldest = this.#keys.values().next().value;
      if (oldest !== undefined) this.#keys.delete(oldest);
    }
    return true;
  }

  /** delete forgets a key, so that the same notification may be tried again later. */
  delete(key: string): void {
    this.#keys.delete(key);
  }
}

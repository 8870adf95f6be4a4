/** WARN_INTERVAL_MS is how often a warn about one subject may be written: once a minute. */
export const WARN_INTERVAL_MS = 60_000;
/** WARN_SUBJECTS bounds how many subjects are remembered; the one warned about longest ago is forgotten first. */
export const WARN_SUBJECTS = 1000;

interface Seen {
  readonly at: number;
  suppressed: number;
}

/**
 * WarnThrottle lets one warn per subject through per interval and counts the ones it held back, so that a client
 * repeating a refused request cannot turn each request into a log line. The count goes into the next line written
 * for that subject.
 */
export class WarnThrottle {
  readonly #seen = new Map<string, Seen>();
  readonly #intervalMs: number;
  readonly #maxSubjects: number;

  constructor(
    private readonly now: () => number,
    options: { intervalMs?: number; maxSubjects?: number } = {},
  ) {
    this.#intervalMs = options.intervalMs ?? WARN_INTERVAL_MS;
    this.#maxSubjects = options.maxSubjects ?? WARN_SUBJECTS;
  }

  /**
   * admit answers how many warns about `subject` were held back since the last one written, or undefined when
   * this one is to be held back too.
   */
  admit(subject: string): number | undefined {
    const now = this.now();
    const last = this.#seen.get(subject);
    // A clock stepped back must not silence a subject for the length of the step.
    if (last && now >= last.at && now - last.at < this.#intervalMs) {
      last.suppressed += 1;
      return undefined;
    }
    this.#seen.delete(subject);
    this.#seen.set(subject, { at: now, suppressed: 0 });
    // A Map iterates in insertion order and a written subject is re-inserted: the first is the stalest.
    for (const [stalest] of this.#seen) {
      if (this.#seen.size <= this.#maxSubjects) break;
      this.#seen.delete(stalest);
    }
    return last?.suppressed ?? 0;
  }
}

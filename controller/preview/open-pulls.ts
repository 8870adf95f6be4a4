import type { Preview, PullRequest } from "./types.js";
import type { WrittenComment } from "./write-comment.js";

/** PullEntry is what the controller keeps of one open pull request it previews. */
export interface PullEntry {
  pull: PullRequest;
  /** The head and base the current preview was made for (see previewKey). */
  madeFor?: string;
  preview?: Preview;
  /** The preview comment and the body GitHub holds, once known. */
  comment?: WrittenComment;
  /** The commit status last queued, as `sha state description`. */
  statusSent?: string;
  /** A preview that failed (GitHub or the cluster not answering) is tried again from this time (monotonic ms). */
  retryAt?: number;
}

/**
 * OpenPulls are the open pull requests of each repository being previewed, in memory only: a closed or merged pull
 * request, or one no longer listed, is dropped with its preview. After a restart the next listing fills it again.
 */
export class OpenPulls {
  readonly #byRepo = new Map<string, Map<number, PullEntry>>();

  /** update replaces a repository's open pull requests with a fresh listing, keeping what is known of each. */
  update(repoKey: string, pulls: readonly PullRequest[]): void {
    const before = this.#byRepo.get(repoKey) ?? new Map<number, PullEntry>();
    const after = new Map<number, PullEntry>();
    for (const pull of pulls) {
      const entry = before.get(pull.number) ?? { pull };
      entry.pull = pull;
      after.set(pull.number, entry);
    }
    this.#byRepo.set(repoKey, after);
  }

  /** drop forgets a pull request (closed or merged) and its preview. */
  drop(repoKey: string, number: number): boolean {
    return this.#byRepo.get(repoKey)?.delete(number) ?? false;
  }

  /** of is a repository's open pull requests, by number. */
  of(repoKey: string): PullEntry[] {
    return [...(this.#byRepo.get(repoKey)?.values() ?? [])].sort((a, b) => a.pull.number - b.pull.number);
  }

  /** all is every repository's open pull requests. */
  all(): PullEntry[] {
    return [...this.#byRepo.keys()].flatMap((repoKey) => this.of(repoKey));
  }

  get(repoKey: string, number: number): PullEntry | undefined {
    return this.#byRepo.get(repoKey)?.get(number);
  }
}

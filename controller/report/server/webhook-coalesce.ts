import type { Logger } from "pino";
import type { Timers } from "../../../common/clock.js";
import type { SyncAnswer } from "./options.js";

/** PollAnswer is a repository's answer to a push: asked for now, or folded into the poll due at the interval's end. */
export type PollAnswer = SyncAnswer & { readonly coalesced?: true };

interface Window {
  /** a push came during the window: poll once more when it ends */
  trailing: boolean;
  cancel: () => void;
}

/**
 * COALESCE_WINDOW_MS caps the window pushes of one repository are coalesced in: replays cost at most one poll per
 * window, and a real push after another waits at most this long, however long `poll_interval` is (users who rely
 * on webhooks often poll rarely).
 */
export const COALESCE_WINDOW_MS = 10_000;

/** coalesceWindowMs is the window for a poll interval: the interval, or COALESCE_WINDOW_MS when that is shorter. */
export function coalesceWindowMs(pollIntervalSeconds: number): number {
  return Math.min(pollIntervalSeconds * 1000, COALESCE_WINDOW_MS);
}

/**
 * WebhookPolls lets webhooks ask for at most one poll per repository per interval. The first push asks at once; a
 * push within the interval after it is coalesced into one poll when the interval ends, so replays of captured
 * deliveries cost at most one extra poll per interval, and no real push waits longer than one interval.
 */
export class WebhookPolls {
  readonly #windows = new Map<string, Window>();

  constructor(
    private readonly options: {
      intervalMs: number;
      timers: Timers;
      requestSync: (repoKey: string) => SyncAnswer;
      log: Logger;
    },
  ) {}

  /** request asks for a poll of `repoKey` now, or, within the interval of the last one, when that interval ends. */
  request(repoKey: string): PollAnswer {
    const window = this.#windows.get(repoKey);
    if (window) {
      window.trailing = true;
      return { accepted: true, coalesced: true };
    }
    const answer = this.options.requestSync(repoKey);
    if (answer.accepted) this.#open(repoKey);
    return answer;
  }

  /** close drops the polls still due; the server is going away. */
  close(): void {
    for (const window of this.#windows.values()) window.cancel();
    this.#windows.clear();
  }

  #open(repoKey: string): void {
    const window: Window = { trailing: false, cancel: () => {} };
    this.#windows.set(repoKey, window);
    window.cancel = this.options.timers.after(() => {
      this.#windows.delete(repoKey);
      if (!window.trailing) return;
      const answer = this.options.requestSync(repoKey);
      this.options.log.info({ repo_key: repoKey, answer }, "webhook: coalesced pushes: sync requested");
      // The poll asked for now is this interval's one: pushes during it wait for its end in turn.
      if (answer.accepted) this.#open(repoKey);
    }, this.options.intervalMs);
  }
}

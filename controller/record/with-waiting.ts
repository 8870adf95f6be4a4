import type { Logger } from "pino";
import type { ControllerState, RepoWaiting } from "./state/state.js";

/**
 * withWaiting records that GitHub asked a repository to wait (a rate limit), or with `undefined` that it was read
 * again, and logs the change: one warning per wait (and per new reset time), not one per poll of an hour-long limit.
 */
export function withWaiting(
  state: ControllerState,
  repoKey: string,
  waiting: RepoWaiting | undefined,
  log: Logger,
): ControllerState {
  const { [repoKey]: before, ...others } = state.waiting ?? {};
  if (waiting === undefined) {
    if (before === undefined) return state;
    log.info({ repo: repoKey }, "GitHub answers again; the repository is polled as usual");
    return { ...state, waiting: others };
  }
  const news = before === undefined || before.until !== waiting.until;
  log[news ? "warn" : "debug"](
    { repo: repoKey, code: waiting.code, until: waiting.until },
    `waiting for GitHub's rate limit${waiting.until ? ` until ${waiting.until}` : ""}; deployed services stay deployed`,
  );
  // The first moment it began waiting is kept: a limit that lasts is one wait, not one per poll.
  return {
    ...state,
    waiting: { ...others, [repoKey]: { ...waiting, since: before?.since ?? waiting.since } },
  };
}

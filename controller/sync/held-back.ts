import { type RepoRun, stateOf } from "./repo-run.js";

/**
 * heldBack says whether a service's failed commit, still the head, waits for its backoff (`held` comes from
 * knownForPoll), and logs that it does.
 */
export function heldBack(
  run: RepoRun,
  held: Readonly<Record<string, string>>,
  name: string,
  head: string,
): boolean {
  if (held[name] !== head) return false;
  const { retryAfter, rolledBack } = stateOf(run, name);
  run.deps.log.debug(
    { service: name, commit: head, retryAfter },
    rolledBack?.failedCommit === head
      ? `commit ${head} failed and was rolled back to ${rolledBack.restoredCommit}; tried again only once the head moves or on a manual sync`
      : `commit ${head} failed; retried after its backoff`,
  );
  return true;
}

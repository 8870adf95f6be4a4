import type { PollFailed } from "../source/source.js";
import { isSourceError } from "./needs-apply.js";
import { describeError, failedOutcome } from "./repo-outcomes.js";
import { type RepoRun, recordOutcome, stateOf } from "./repo-run.js";

/**
 * recordPollFailure records a poll that could not read the repository. A rate limit is the repository's wait, not
 * a failure of its services; any other error fails each chosen service.
 */
export async function recordPollFailure(run: RepoRun, poll: PollFailed): Promise<void> {
  const { input, deps } = run;
  if (poll.error?.code === "E_SOURCE_RATE_LIMITED") {
    // A rate limit says nothing about what runs in the cluster: the repository waits, its services keep their state.
    deps.wait?.(input.repo.key, {
      code: poll.error.code,
      message: poll.error.message,
      since: new Date(run.started).toISOString(),
      ...(poll.error.until === undefined ? {} : { until: poll.error.until }),
    });
    return;
  }
  for (const chosen of input.services) {
    const state = stateOf(run, chosen.service.name);
    const outcome = failedOutcome(run, chosen, state, describeError(poll.error));
    // An apply that failed before still has to be redone at its own backoff: a source error must not stand in for
    // it (the first good poll would clear it as if the landed set were in the cluster) nor cut its backoff short.
    // A source error alone gets no backoff: the repository is polled every interval anyway.
    const applyFailed = state.lastError !== undefined && !isSourceError(state.lastError.code);
    await recordOutcome(run, {
      ...outcome,
      state: applyFailed ? state : { ...outcome.state, retryAfter: undefined },
    });
  }
}

import type { Candidate } from "./candidate.js";

/**
 * fireHook calls onStartedLeading or onStoppedLeading beside the elector, not awaited: a hook that throws or
 * rejects is logged and never stops the campaign.
 */
export function fireHook(candidate: Candidate, what: "onStartedLeading" | "onStoppedLeading"): void {
  const { log, context } = candidate;
  try {
    Promise.resolve(candidate[what]?.()).catch((error: unknown) =>
      log.error({ ...context, err: error }, `${what} failed`),
    );
  } catch (error: unknown) {
    log.error({ ...context, err: error }, `${what} failed`);
  }
}

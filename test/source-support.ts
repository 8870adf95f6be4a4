import type { RetryPolicy } from "../controller/source/github-client.js";
import type { PollResult, ServiceFiles } from "../controller/source/source.js";

/**
 * Helpers for the GitHub source tests; nothing in the controller imports this file.
 * FAST_RETRY retries as production does, without waiting between attempts.
 */
export const FAST_RETRY: RetryPolicy = {
  retries: 2,
  rateLimitRetries: 2,
  maxRetryAfterSeconds: 60,
  baseMs: 0,
};

/** okService is a service's files in a changed poll; it fails the test, with the service's error, otherwise. */
export function okService(result: PollResult, name: string): ServiceFiles {
  if (result.status !== "changed") throw new Error(`expected a change, got ${result.status}`);
  const found = result.services.find((candidate) => candidate.service === name);
  if (!found?.ok)
    throw new Error(`service ${name} failed: ${found?.ok === false ? found.error.message : "absent"}`);
  return found;
}

import type { ControllerMetrics } from "./metrics.js";

/**
 * meteredFetch wraps the fetch the GitHub source uses so that every GitHub response is counted by status and the
 * rate limit left is exported, without the source knowing about metrics.
 */
export function meteredFetch(
  metrics: ControllerMetrics,
  fetch: typeof globalThis.fetch = globalThis.fetch,
): typeof globalThis.fetch {
  return async (input, init) => {
    try {
      const response = await fetch(input, init);
      metrics.observeGithubRequest(response.status);
      const remaining = response.headers.get("x-ratelimit-remaining");
      if (remaining !== null) {
        metrics.setRateLimitRemaining(
          Number(remaining),
          response.headers.get("x-ratelimit-resource") ?? "core",
        );
      }
      return response;
    } catch (error: unknown) {
      metrics.observeGithubRequest("error");
      throw error;
    }
  };
}

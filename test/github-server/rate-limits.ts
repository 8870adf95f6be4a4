/** RateBucket is one primary rate limit: per token, or the shared anonymous one. */
export interface RateBucket {
  readonly remaining: number;
  charge(): void;
  set(remaining: number): void;
  headers(): Record<string, string>;
}

/**
 * createRateLimits keeps GitHub's primary rate limits: 5 000 requests an hour per token, 60 without one
 * (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api), and which tokens exist.
 */
export function createRateLimits() {
  const buckets = new Map<string, RateBucket>();
  const tokens = new Set<string>();
  const make = (limit: number): RateBucket => {
    let used = 0;
    let remaining = limit;
    const reset = Math.floor(Date.now() / 1000) + 3600;
    return {
      get remaining() {
        return remaining;
      },
      charge() {
        used += 1;
        remaining = Math.max(0, remaining - 1);
      },
      set(value) {
        remaining = value;
        used = limit - value;
      },
      headers: () => ({
        "x-ratelimit-limit": String(limit),
        "x-ratelimit-remaining": String(remaining),
        "x-ratelimit-used": String(used),
        "x-ratelimit-reset": String(reset),
        "x-ratelimit-resource": "core",
      }),
    };
  };
  return {
    /** allow makes a token valid. */
    allow(token: string) {
      tokens.add(token);
    },
    /** revoke makes a token invalid (401) until it is allowed again. */
    revoke(token: string) {
      tokens.delete(token);
    },
    /** knows says whether a token is valid. */
    knows(token: string) {
      return tokens.has(token);
    },
    /** bucket is the limit a request with this token (or none) counts against. */
    bucket(token: string | undefined): RateBucket {
      const key = token !== undefined && tokens.has(token) ? `token:${token}` : "anonymous";
      let bucket = buckets.get(key);
      if (bucket === undefined) {
        bucket = make(key === "anonymous" ? 60 : 5000);
        buckets.set(key, bucket);
      }
      return bucket;
    },
  };
}

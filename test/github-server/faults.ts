import type { IncomingMessage, ServerResponse } from "node:http";
import { DOCS, errorBody } from "./responses.js";

/**
 * InjectedFailure is what an injected failure answers instead of the real response. Status-like kinds replace the
 * answer; `reset`, `slow` and `garbage` damage the real answer's body; `drop` and `hang` never answer.
 */
export type InjectedFailure =
  | { readonly kind: "status"; readonly status: number; readonly message?: string }
  /** The connection is closed before any byte of the answer. */
  | { readonly kind: "drop" }
  /** The head and part of the body are sent (`afterBytes`, default half), then the connection is reset. */
  | { readonly kind: "reset"; readonly afterBytes?: number }
  /** Nothing is ever sent: the request waits until the client gives up or the server closes. */
  | { readonly kind: "hang" }
  /** The body arrives `chunkBytes` at a time, one chunk every `intervalMs`. */
  | { readonly kind: "slow"; readonly chunkBytes: number; readonly intervalMs: number }
  /** A 200 whose body is not what the content type says (a corrupt archive, broken JSON). */
  | { readonly kind: "garbage" }
  | { readonly kind: "secondary-rate-limit"; readonly retryAfterSeconds: number }
  /** GitHub's 429 with Retry-After. */
  | { readonly kind: "too-many-requests"; readonly retryAfterSeconds: number }
  /** An exhausted primary limit: `x-ratelimit-remaining: 0` and a reset `resetSeconds` from now. */
  | { readonly kind: "rate-limit-exhausted"; readonly status?: 403 | 429; readonly resetSeconds: number };

/** FailureAnswer is an injected answer that replaces the real one. */
export interface FailureAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly headers: Record<string, string>;
}

interface Rule {
  readonly match: string | RegExp;
  /** Requests it may still fail; Infinity for a probabilistic rule. */
  remaining: number;
  /** Chance that a matching request fails (1 for counted rules). */
  readonly probability: number;
  readonly failure: InjectedFailure;
}

/**
 * seededRandom is mulberry32: a tiny deterministic generator, so a storm of random failures is the same storm in
 * every run with the same seed.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** createFaults keeps the injected failures of one test server: counted ones first, then random ones. */
export function createFaults(seed = 1) {
  const rules: Rule[] = [];
  let random = seededRandom(seed);
  const matches = (match: string | RegExp, pathname: string, path: string) =>
    typeof match === "string" ? pathname === match : match.test(path);
  return {
    /** failNext makes the next `count` requests whose path matches answer `failure` instead. */
    failNext(match: string | RegExp, count: number, failure: InjectedFailure) {
      rules.push({ match, remaining: count, probability: 1, failure });
    },
    /** failRandom makes each matching request fail with `probability`, drawn from the seeded generator. */
    failRandom(match: string | RegExp, probability: number, failure: InjectedFailure) {
      rules.push({ match, remaining: Number.POSITIVE_INFINITY, probability, failure });
    },
    /** clear removes every rule and restarts the generator from `nextSeed` (default: the first seed). */
    clear(nextSeed = seed) {
      rules.length = 0;
      random = seededRandom(nextSeed);
    },
    /** pick returns the failure a request gets, if any, and counts it. */
    pick(pathname: string, path: string): InjectedFailure | undefined {
      for (const rule of rules) {
        if (rule.remaining <= 0 || !matches(rule.match, pathname, path)) continue;
        if (rule.probability < 1 && random() >= rule.probability) continue;
        rule.remaining -= 1;
        return rule.failure;
      }
      return undefined;
    },
  };
}

/** failureAnswer is the answer of a failure that replaces the response, or undefined for body-level kinds. */
export function failureAnswer(failure: InjectedFailure, now = Date.now()): FailureAnswer | undefined {
  switch (failure.kind) {
    case "status":
      return {
        status: failure.status,
        body: errorBody(failure.message ?? "Server Error", failure.status),
        headers: {},
      };
    case "secondary-rate-limit":
      return {
        status: 403,
        body: errorBody(
          "You have exceeded a secondary rate limit. Please wait a few minutes.",
          403,
          DOCS.secondaryRateLimit,
        ),
        headers: { "retry-after": String(failure.retryAfterSeconds) },
      };
    case "too-many-requests":
      return {
        status: 429,
        body: errorBody(
          "You have exceeded a secondary rate limit. Please wait a few minutes.",
          429,
          DOCS.secondaryRateLimit,
        ),
        headers: { "retry-after": String(failure.retryAfterSeconds) },
      };
    case "rate-limit-exhausted": {
      const status = failure.status ?? 403;
      return {
        status,
        body: errorBody("API rate limit exceeded for user ID 1.", status, DOCS.rateLimit),
        headers: {
          "x-ratelimit-remaining": "0",
          "x-ratelimit-reset": String(Math.floor(now / 1000) + failure.resetSeconds),
        },
      };
    }
    default:
      return undefined;
  }
}

/**
 * sendDamaged writes a real answer through a body-level failure; it resolves once the connection is done with.
 * `hang` and `drop` send nothing.
 */
export function sendDamaged(
  req: IncomingMessage,
  res: ServerResponse,
  answer: { status: number; headers: Record<string, string>; body: Buffer },
  failure: InjectedFailure,
): Promise<void> {
  const { body } = answer;
  const closed = new Promise<void>((resolve) => res.on("close", () => resolve()));
  switch (failure.kind) {
    case "drop":
      req.socket.destroy();
      return Promise.resolve();
    case "hang":
      return closed;
    case "reset": {
      const cut = Math.min(failure.afterBytes ?? Math.floor(body.length / 2), body.length - 1);
      res.writeHead(answer.status, { ...answer.headers, "content-length": String(body.length) });
      res.write(body.subarray(0, Math.max(cut, 0)), () => req.socket.destroy());
      return closed;
    }
    case "garbage": {
      const junk = Buffer.from("this is not the body you are looking for\n");
      res.writeHead(answer.status, answer.headers);
      res.end(junk);
      return closed;
    }
    case "slow": {
      res.writeHead(answer.status, answer.headers);
      let offset = 0;
      const drip = () => {
        if (res.destroyed) return;
        const next = body.subarray(offset, offset + failure.chunkBytes);
        offset += next.length;
        if (offset >= body.length) res.end(next);
        else res.write(next, () => setTimeout(drip, failure.intervalMs));
      };
      drip();
      return closed;
    }
    default:
      res.writeHead(answer.status, answer.headers);
      res.end(body);
      return closed;
  }
}

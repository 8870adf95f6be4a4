import type { Logger } from "pino";
import type { Applyer } from "../../applyers/applyer.js";
import type { Clock, Timers } from "../../common/clock.js";
import { redactUrl } from "../../common/redact-url.js";
import { describeRef, type KubeObject, SERVICE_ANNOTATION } from "../../kube/objects.js";
import type { Config } from "../config/types.js";
import type { StateStore } from "../record/state/store.js";
import type { ControllerMetrics } from "../report/metrics.js";
import { GITHUB_REQUEST_TIMEOUT_MS } from "../source/github-client.js";
import type { Source } from "../source/source.js";

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

/** StuckCall is one outward call of the loop still in flight: what it is and for how long it has run. */
export interface StuckCall {
  readonly call: string;
  readonly seconds: number;
}

/**
 * Liveness is what `/healthz` answers: `ok` is false when a run has made no progress (no outward call started or
 * ended) for longer than `limitSeconds`, and `inFlight` names the calls still running, oldest first.
 */
export interface Liveness {
  readonly ok: boolean;
  readonly limitSeconds: number;
  readonly sinceProgressSeconds: number;
  readonly inFlight: readonly StuckCall[];
}

/** ProgressTracker watches the loop's outward calls (GitHub, apiserver, kubectl, NoKube, the state store). */
export interface ProgressTracker {
  /** track runs one outward call and remembers it while it is in flight; its start and end count as progress. */
  track<T>(what: string, call: () => Promise<T>): Promise<T>;
  /** liveness says whether the loop is wedged; while no run is going (`running` false) it never is. */
  liveness(running: boolean): Liveness;
}

/** ProgressDeps are the liveness limit, how often a slow call is logged, time, and the log. */
export interface ProgressDeps {
  readonly limitMs: number;
  /** slowMs: a call in flight this long is logged at warn, and again each slowMs it stays in flight. */
  readonly slowMs: number;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly log: Logger;
}

/** LIVENESS_MARGIN_MS is added to the limit so that a call ending right at its own timeout is not a wedge. */
export const LIVENESS_MARGIN_MS = 60_000;
/** GITHUB_MAX_WAIT_MS is the longest a GitHub call waits on a rate limit's Retry-After before it gives up. */
const GITHUB_MAX_WAIT_MS = 60_000;

/**
 * livenessLimitMs derives the wedge limit from the config: no single outward call may legitimately run longer than
 * the longest of apply_timeout, health_timeout, the GitHub request timeout and its longest Retry-After wait, so a
 * run with no call starting or ending for twice that, plus a minute, is stuck. Defaults: 2 × 300 s + 60 s = 11 min.
 */
export function livenessLimitMs(
  config: Pick<Config, "applyTimeoutSeconds" | "healthTimeoutSeconds">,
  githubRequestTimeoutMs = GITHUB_REQUEST_TIMEOUT_MS,
): number {
  const longest = Math.max(
    config.applyTimeoutSeconds * 1000,
    config.healthTimeoutSeconds * 1000,
    githubRequestTimeoutMs,
    GITHUB_MAX_WAIT_MS,
  );
  return 2 * longest + LIVENESS_MARGIN_MS;
}

/** createProgressTracker starts with the loop counted as having just made progress. */
export function createProgressTracker(deps: ProgressDeps): ProgressTracker {
  const { clock, log } = deps;
  const inFlight = new Map<number, { what: string; since: number }>();
  let nextId = 0;
  let lastProgress = clock.monotonic();

  return {
    async track(what, call) {
      const id = nextId++;
      const since = clock.monotonic();
      lastProgress = since;
      inFlight.set(id, { what, since });
      let cancel = () => {};
      const warnLater = () => {
        cancel = deps.timers.after(() => {
          log.warn(
            { call: what, seconds: Math.round((clock.monotonic() - since) / 1000) },
            `slow call: ${what} is still running`,
          );
          warnLater();
        }, deps.slowMs);
      };
      warnLater();
      try {
        return await call();
      } finally {
        cancel();
        inFlight.delete(id);
        lastProgress = clock.monotonic();
      }
    },
    liveness(running) {
      const now = clock.monotonic();
      // An idle loop waits for its timer by design; only a run that stopped moving is wedged.
      if (!running) lastProgress = now;
      const sinceProgress = now - lastProgress;
      return {
        ok: sinceProgress <= deps.limitMs,
        limitSeconds: Math.round(deps.limitMs / 1000),
        sinceProgressSeconds: Math.round(sinceProgress / 1000),
        inFlight: [...inFlight.values()]
          .sort((a, b) => a.since - b.since)
          .map((entry) => ({ call: entry.what, seconds: Math.round((now - entry.since) / 1000) })),
      };
    },
  };
}

/** tracked wraps an async function so that every call of it is tracked under the name `what` gives it. */
export function tracked<A extends unknown[], R>(
  tracker: ProgressTracker,
  what: (...args: A) => string,
  fn: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  return (...args) => tracker.track(what(...args), () => fn(...args));
}

/** trackedFetch tracks each GitHub request by method and URL (query values and userinfo removed). */
export function trackedFetch(
  tracker: ProgressTracker,
  fetch: typeof globalThis.fetch,
): typeof globalThis.fetch {
  return tracked(
    tracker,
    (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      return `GitHub ${init?.method ?? (input instanceof Request ? input.method : "GET")} ${redactUrl(url)}`;
    },
    fetch,
  );
}

/** trackedSource tracks each poll and read of a repository. */
export function trackedSource(source: Source, tracker: ProgressTracker): Source {
  const where = (r: { owner: string; repo: string; branch: string }) => `${r.owner}/${r.repo}@${r.branch}`;
  return {
    name: source.name,
    poll: tracked(tracker, (request) => `poll of ${where(request.repository)}`, source.poll.bind(source)),
    read: tracked(
      tracker,
      (request) => `read of ${where(request.repository)} for service ${request.service.name}`,
      source.read.bind(source),
    ),
  };
}

/** trackedApplyer tracks each apply and delete, named by the service whose objects they carry. */
export function trackedApplyer(applyer: Applyer, tracker: ProgressTracker): Applyer {
  const owner = (objects: readonly { metadata?: KubeObject["metadata"] }[]) => {
    const service = objects[0]?.metadata?.annotations?.[SERVICE_ANNOTATION];
    return service ? ` of service ${service}` : "";
  };
  return {
    name: applyer.name,
    ensureInstalled: tracked(
      tracker,
      () => `install of applyer ${applyer.name}`,
      () => applyer.ensureInstalled(),
    ),
    apply: tracked(
      tracker,
      (objects) => `apply of ${objects.length} objects${owner(objects)} (${applyer.name})`,
      applyer.apply.bind(applyer),
    ),
    delete: tracked(
      tracker,
      (refs) => `delete of ${refs.map(describeRef).join(", ")} (${applyer.name})`,
      applyer.delete.bind(applyer),
    ),
  };
}

/** trackedStore tracks each load and save of the state. */
export function trackedStore(store: StateStore, tracker: ProgressTracker): StateStore {
  return {
    name: store.name,
    load: tracked(
      tracker,
      () => `load of the state from ${store.name}`,
      () => store.load(),
    ),
    save: tracked(tracker, (_state) => `save of the state to ${store.name}`, store.save.bind(store)),
  };
}

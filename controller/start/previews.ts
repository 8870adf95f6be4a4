import type { Logger } from "pino";
import type { Clock, Timers } from "../../common/clock.js";
import type { Config } from "../config/types.js";
import { fullPreviewAt } from "../preview/preview-status.js";
import { createPreviewRunner, type PreviewRunner } from "../preview/runner.js";
import type { ControllerState } from "../record/state/state.js";
import { createStatusPoster } from "../report/commit-status/poster.js";
import { createStatusQueue, type StatusQueue } from "../report/commit-status/queue.js";
import { createGitHubSource } from "../source/github.js";
import { createGitHubClient, defaultRetryPolicy } from "../source/github-client.js";
import { createClientPool } from "../source/github-clients.js";
import { sourceRepository } from "../sync/source-repository.js";
import type { SharedWiring } from "./shared-wiring.js";

/** PreviewWiring is the preview runner and the queue its commit statuses go out through, to drain at shutdown. */
export interface PreviewWiring {
  readonly runner: PreviewRunner;
  readonly queue: StatusQueue;
}

/** PreviewWiringOptions are the process's clock, timers, fetch and what the previews read from the controller. */
export interface PreviewWiringOptions {
  readonly shared: SharedWiring;
  readonly state: () => ControllerState;
  readonly isLeader?: () => boolean;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly fetch: typeof globalThis.fetch;
  readonly log: Logger;
}

// Writes are not retried by the client: a comment posted twice after a lost answer would be two comments. The next
// pass writes what did not go out, and the status queue retries statuses with its own backoff.
const NO_RETRY = { retries: 0, rateLimitRetries: 0, maxRetryAfterSeconds: 0, baseMs: 1000 };

/**
 * buildPreviews sets up pull request previews for the repositories with `pr_preview`, or returns undefined when
 * none has it. They read GitHub through their own source and clients (their own caches: a preview never waits on a
 * sync's), compare with the cluster through the same server-side diff as `--diff`, and post through their own
 * status queue.
 */
export function buildPreviews(config: Config, options: PreviewWiringOptions): PreviewWiring | undefined {
  const repos = config.repos.filter((repo) => repo.prPreview !== undefined);
  if (repos.length === 0) return undefined;
  const log = options.log.child({ component: "preview" });
  const { fetch, clock, timers, shared } = options;
  const statusRepos = repos.map((repo) => ({ ...sourceRepository(repo), key: repo.key }));
  const secrets = statusRepos.flatMap((repo) => [repo.token ?? [], repo.app?.privateKey ?? []].flat());
  const pool = (retry: typeof NO_RETRY, throttle: boolean) =>
    createClientPool({
      createClient: createGitHubClient,
      log,
      retry,
      throttle,
      fetch,
      now: () => clock.now(),
    });
  const queue = createStatusQueue({
    post: createStatusPoster({ repos: statusRepos, log, fetch, now: () => clock.now() }),
    clock,
    timers,
    log,
  });
  const links = {
    clusterName: config.clusterName,
    ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
  };
  const runner = createPreviewRunner({
    config,
    source: createGitHubSource({ log, fetch, blobCacheBytes: 16 * 1024 * 1024, now: () => clock.now() }),
    reads: pool(defaultRetryPolicy, true),
    writes: pool(NO_RETRY, false),
    compare: {
      serverDiff: shared.serverDiff,
      log,
      installNamespace: shared.installNamespace,
      releaseProbe: shared.releaseProbe,
    },
    state: options.state,
    statuses: queue,
    comment: {
      clusterName: config.clusterName,
      secrets,
      fullPreview: (preview) => fullPreviewAt(links, preview.pull),
    },
    clock,
    timers,
    log,
    ...(options.isLeader ? { isLeader: options.isLeader } : {}),
  });
  return { runner, queue };
}

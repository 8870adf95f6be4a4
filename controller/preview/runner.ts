import type { Logger } from "pino";
import type { Clock, Timers } from "../../common/clock.js";
import type { Config } from "../config/types.js";
import { createParseCache } from "../desired/desired-set.js";
import { ownerLookup } from "../record/owners.js";
import type { ControllerState } from "../record/state/state.js";
import type { StatusQueue } from "../report/commit-status/queue.js";
import type { PreviewListing, Previews, PullRequestEvent } from "../report/server/previews.js";
import type { ClientFor } from "../source/github-clients.js";
import type { Source } from "../source/source.js";
import type { CommentSettings } from "./comment.js";
import type { PullListCache } from "./list-pulls.js";
import { OpenPulls } from "./open-pulls.js";
import type { PreviewDeps } from "./preview-pull.js";
import { previewRepository } from "./repo-pass.js";
import { previewListing, previewView } from "./views.js";

/** PreviewRunnerOptions are a runner's settings and collaborators; every outward call goes through them. */
export interface PreviewRunnerOptions {
  readonly config: Config;
  /** Reads a service's files at a pull request's head. */
  readonly source: Source;
  readonly reads: ClientFor;
  readonly writes: ClientFor;
  readonly compare: PreviewDeps["compare"];
  readonly state: () => ControllerState;
  readonly statuses: Pick<StatusQueue, "enqueue">;
  readonly comment: CommentSettings;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly log: Logger;
  /** Only the leader previews: followers would post the same statuses and comments. Default: always. */
  readonly isLeader?: () => boolean;
  /** One repository's pass is aborted past this. Default 5 minutes. */
  readonly passTimeoutMs?: number;
  /** Pull requests previewed per pass at most; the rest get a pass of their own right after. Default 5. */
  readonly maxPerPass?: number;
}

/** PreviewRunner previews open pull requests in the background, never in a sync's way. */
export interface PreviewRunner extends Previews {
  /** afterPoll asks for a pass over a repository's pull requests, once its sync is done. */
  afterPoll(repoKey: string): void;
  /** idle resolves when no pass runs and none waits. */
  idle(): Promise<void>;
  /** stop aborts the pass under way (its calls end at once) and runs no other. */
  stop(): Promise<void>;
}

/**
 * createPreviewRunner runs pull request previews one repository pass at a time, each bounded by a timeout and
 * cancelled by stop: asked for after each poll of a repository with `pr_preview` (nothing is awaited by the sync,
 * so a preview never delays one), and at once on a `pull_request` webhook. A closed pull request's preview is
 * dropped at once.
 */
export function createPreviewRunner(options: PreviewRunnerOptions): PreviewRunner {
  const { config, log } = options;
  const pulls = new OpenPulls();
  const listCache: PullListCache = new Map();
  const pending = new Set<string>();
  const stopping = new AbortController();
  let running: Promise<void> | undefined;
  const deps = passDeps(options, pulls, listCache);
  const previewed = (repoKey: string) =>
    config.repos.find((repo) => repo.key === repoKey && repo.prPreview !== undefined);

  const pass = async (repoKey: string) => {
    const repo = previewed(repoKey);
    if (repo === undefined || (options.isLeader && !options.isLeader())) return;
    const aborter = new AbortController();
    const limitMs = options.passTimeoutMs ?? 300_000;
    const cancel = options.timers.after(
      () => aborter.abort(new Error(`the pass did not end within ${limitMs} ms`)),
      limitMs,
    );
    const signal = AbortSignal.any([aborter.signal, stopping.signal]);
    try {
      if (await previewRepository(repo, deps, signal)) pending.add(repoKey);
    } catch (error: unknown) {
      const why = signal.aborted ? (signal.reason as Error).message : String(error);
      log.warn({ repo: repoKey, err: why }, "preview: the pass over the repository's pull requests stopped");
    } finally {
      cancel();
    }
  };
  const drain = async () => {
    while (pending.size > 0 && !stopping.signal.aborted) {
      const [next] = pending;
      if (next === undefined) break;
      pending.delete(next);
      await pass(next);
    }
    running = undefined;
  };
  const ask = (repoKey: string) => {
    if (stopping.signal.aborted || previewed(repoKey) === undefined) return false;
    pending.add(repoKey);
    running ??= drain();
    return true;
  };

  return {
    afterPoll: (repoKey) => {
      ask(repoKey);
    },
    pullRequest(event: PullRequestEvent) {
      if (event.action === "closed") {
        pulls.drop(event.repoKey, event.number);
        return { accepted: true };
      }
      return ask(event.repoKey)
        ? { accepted: true }
        : { accepted: false, reason: "pull request previews are off for this repository" };
    },
    list: (): PreviewListing[] =>
      pulls.all().flatMap((entry) => (entry.preview ? [previewListing(entry.preview)] : [])),
    get: (repoKey, number) => {
      const preview = pulls.get(repoKey, number)?.preview;
      return preview && previewView(preview);
    },
    async idle() {
      while (running) await running;
    },
    async stop() {
      stopping.abort(new Error("shutting down"));
      pending.clear();
      await running;
    },
  };
}

/** passDeps are what every pass over a repository's pull requests reads, renders, compares and reports with. */
function passDeps(options: PreviewRunnerOptions, pulls: OpenPulls, listCache: PullListCache) {
  const { config, log } = options;
  return {
    preview: {
      config,
      source: options.source,
      compare: options.compare,
      state: options.state,
      ownerOf: ownerLookup(options.state),
      parseCache: createParseCache(),
      secrets: options.comment.secrets,
      now: () => options.clock.now(),
    },
    report: {
      statuses: options.statuses,
      links: {
        clusterName: config.clusterName,
        ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
      },
      comment: options.comment,
      log,
    },
    reads: options.reads,
    writes: options.writes,
    pulls,
    listCache,
    clock: options.clock,
    maxPerPass: options.maxPerPass ?? 5,
  };
}

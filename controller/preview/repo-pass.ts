import type { Clock } from "../../common/clock.js";
import type { RepoConfig } from "../config/types.js";
import type { ClientFor } from "../source/github-clients.js";
import { scrubSecrets } from "../source/log.js";
import { sourceRepository } from "../sync/source-repository.js";
import { listOpenPulls, type PullListCache } from "./list-pulls.js";
import type { OpenPulls, PullEntry } from "./open-pulls.js";
import { previewKey } from "./preview-key.js";
import { type PreviewDeps, previewPull } from "./preview-pull.js";
import { pendingStatus } from "./preview-status.js";
import { pullPaths } from "./pull-files.js";
import { type ReportDeps, reportPreview } from "./report-preview.js";

/** RETRY_MS is how long a pull request whose preview failed waits before it is tried again. */
export const RETRY_MS = 60_000;

/** PassDeps are what one repository's pass reads from and writes to. */
export interface PassDeps {
  readonly preview: PreviewDeps;
  readonly report: ReportDeps;
  /** reads lists pull requests and their files (retried); writes writes comments (never retried: no duplicates). */
  readonly reads: ClientFor;
  readonly writes: ClientFor;
  readonly pulls: OpenPulls;
  readonly listCache: PullListCache;
  readonly clock: Clock;
  /** At most this many pull requests are previewed in one pass; the rest wait for the next. */
  readonly maxPerPass: number;
}

/**
 * previewRepository runs one pass over a repository's open pull requests into its branch: it lists them (a
 * conditional request, free when nothing changed), drops the ones gone, skips forks unless `pr_preview.forks`,
 * previews each whose head or base moved since its last preview, and brings GitHub in line with every preview. It
 * returns whether pull requests are still waiting for a preview.
 */
export async function previewRepository(
  repo: RepoConfig,
  deps: PassDeps,
  signal: AbortSignal,
): Promise<boolean> {
  const repository = sourceRepository(repo);
  const reads = deps.reads(repository);
  const listed = await listOpenPulls(reads, repository, repo.key, deps.listCache, signal);
  if (listed.changed)
    deps.pulls.update(
      repo.key,
      listed.pulls.filter((pull) => !pull.fork || repo.prPreview?.forks === true),
    );
  const state = deps.preview.state();
  let previewed = 0;
  let waiting = false;
  for (const entry of deps.pulls.of(repo.key)) {
    const key = previewKey(entry.pull, deps.preview.config, state);
    const due = entry.madeFor !== key && (entry.retryAt ?? 0) <= deps.clock.monotonic();
    if (due && previewed >= deps.maxPerPass) waiting = true;
    else if (due) {
      previewed++;
      await previewEntry(entry, key, deps, signal);
    }
    await reportPreview(entry, deps.writes(repository), repository, deps.report, signal);
  }
  return waiting;
}

/** previewEntry makes one pull request's preview; a failure is logged and tried again after {@link RETRY_MS}. */
async function previewEntry(entry: PullEntry, key: string, deps: PassDeps, signal: AbortSignal) {
  const { pull } = entry;
  const repo = deps.preview.config.repos.find((candidate) => candidate.key === pull.repoKey);
  if (repo === undefined) return;
  const repository = sourceRepository(repo);
  // A new head shows pending at once; a base that moved under the same head keeps its verdict until the new one.
  if (entry.preview?.commit !== pull.headSha)
    deps.report.statuses.enqueue(pendingStatus(deps.report.links, pull));
  try {
    const changed = await pullPaths(deps.reads(repository), repository, pull.number, signal);
    entry.preview = await previewPull(pull, changed, deps.preview, signal);
    entry.madeFor = key;
    delete entry.retryAt;
    deps.report.log.info(
      { repo: pull.repoKey, pull: pull.number, head: pull.headSha, state: entry.preview.state },
      `preview: ${entry.preview.description}`,
    );
  } catch (error: unknown) {
    if (signal.aborted) throw error;
    entry.retryAt = deps.clock.monotonic() + RETRY_MS;
    deps.report.log.warn(
      { repo: pull.repoKey, pull: pull.number, err: scrubSecrets(String(error), deps.preview.secrets) },
      "preview: could not be made; trying again in a minute",
    );
  }
}

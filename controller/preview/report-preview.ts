import type { Logger } from "pino";
import type { StatusQueue } from "../report/commit-status/queue.js";
import type { GitHubClient } from "../source/github-client.js";
import { scrubSecrets } from "../source/log.js";
import type { SourceRepository } from "../source/source.js";
import { type CommentSettings, commentMarker, previewComment } from "./comment.js";
import type { PullEntry } from "./open-pulls.js";
import { previewStatus, type StatusLinks } from "./preview-status.js";
import { writeComment } from "./write-comment.js";

/** ReportDeps are where a preview is told: the status queue and a client that writes without retrying. */
export interface ReportDeps {
  readonly statuses: Pick<StatusQueue, "enqueue">;
  readonly links: StatusLinks;
  readonly comment: CommentSettings;
  readonly log: Pick<Logger, "warn" | "info">;
}

/**
 * reportPreview brings GitHub in line with a pull request's preview: its commit status (queued, retried by the
 * status queue) and its one comment, written only when its body changed. A comment that could not be written is
 * tried again on the next pass; a pull request that never touched a service gets no comment at all.
 */
export async function reportPreview(
  entry: PullEntry,
  client: GitHubClient,
  repository: SourceRepository,
  deps: ReportDeps,
  signal: AbortSignal,
): Promise<void> {
  const { preview } = entry;
  if (preview === undefined) return;
  const status = previewStatus(deps.links, preview);
  const sent = `${status.sha} ${status.state} ${status.description}`;
  if (entry.statusSent !== sent) {
    deps.statuses.enqueue(status);
    entry.statusSent = sent;
  }
  if (preview.services.length === 0 && entry.comment === undefined) return;
  const body = previewComment(preview, deps.comment);
  if (entry.comment?.body === body) return;
  const number = preview.pull.number;
  try {
    const marker = commentMarker(deps.comment.clusterName);
    entry.comment = await writeComment(client, repository, { number, body, marker }, entry.comment, signal);
    deps.log.info(
      { repo: preview.pull.repoKey, pull: number, comment: entry.comment.id },
      "preview: comment written",
    );
  } catch (error: unknown) {
    if (signal.aborted) throw error;
    deps.log.warn(
      { repo: preview.pull.repoKey, pull: number, err: scrubSecrets(String(error), deps.comment.secrets) },
      "preview: could not write the comment; trying again on the next pass",
    );
  }
}

import { type CommitStatus, statusContext } from "../report/commit-status/status.js";
import type { Preview, PullRequest } from "./types.js";

/** PREVIEW_CONTEXT is the last part of the previews' commit status context: `simple-gitops/<cluster_name>/preview`. */
export const PREVIEW_CONTEXT = "preview";

/** StatusLinks are what a preview's commit status is named and linked by. */
export interface StatusLinks {
  readonly clusterName: string;
  /** The controller's public URL without a trailing slash; without it, statuses carry no link. */
  readonly publicUrl?: string;
}

/** previewAnchor is the pull request's card on the status page, `<public_url>/ui#preview-<repo>-<number>`. */
export function previewAnchor(pull: Pick<PullRequest, "repoKey" | "number">): string {
  return `preview-${pull.repoKey}-${pull.number}`;
}

function base(links: StatusLinks, pull: PullRequest, sha: string) {
  return {
    repoKey: pull.repoKey,
    sha,
    context: statusContext(links.clusterName, PREVIEW_CONTEXT),
    ...(links.publicUrl ? { targetUrl: `${links.publicUrl}/ui#${previewAnchor(pull)}` } : {}),
  };
}

/** pendingStatus is the `pending` status of a head being previewed. */
export function pendingStatus(links: StatusLinks, pull: PullRequest): CommitStatus {
  return {
    ...base(links, pull, pull.headSha),
    state: "pending",
    description: "Previewing what merging would change",
  };
}

/** previewStatus is a preview's verdict as a commit status on the head it was made at. */
export function previewStatus(links: StatusLinks, preview: Preview): CommitStatus {
  return {
    ...base(links, preview.pull, preview.commit),
    state: preview.state,
    description: preview.description,
  };
}

/**
 * fullPreviewAt says where a pull request's whole preview is: the status API's route under the public URL, else the
 * route on the controller, and the command that prints it locally.
 */
export function fullPreviewAt(
  links: StatusLinks,
  pull: Pick<PullRequest, "repoKey" | "number" | "headSha">,
): string {
  const route = `/v1/gitops/previews/${encodeURIComponent(pull.repoKey)}/${pull.number}`;
  const local = `\`--diff --ref ${pull.headSha}\` prints it locally`;
  return links.publicUrl
    ? `${links.publicUrl}${route} (JSON, with the read token if one is set); ${local}`
    : `\`GET ${route}\` on the controller; ${local}`;
}

import { repositoryLabel, type SourceError } from "./errors.js";
import type { BlobReadInput, ReadBlobs } from "./github-blob-input.js";
import { requestContext, toSourceError } from "./github-errors.js";
import { type HeadRead, readHead } from "./github-head.js";
import { planPoll } from "./github-kustomize.js";
import { readListing } from "./github-listing.js";
import type { GitHubSourceState } from "./github-state.js";
import type { RepoListing } from "./github-tree.js";
import { finishService } from "./plan.js";
import type { PollRequest, PollResult, ServiceFailure, SourceService } from "./source.js";

/**
 * pollRepository polls one repository and branch for every service that reads from it: one conditional request
 * when every service already applied the head, else the head's listing and the blobs the services need.
 */
export async function pollRepository(source: GitHubSourceState, request: PollRequest): Promise<PollResult> {
  const { repository, services, known } = request;
  const { log } = source;
  const label = repositoryLabel(repository);
  const context = requestContext(
    repository,
    services.map((service) => service.name),
    source.now,
  );
  const failed = (error: unknown, what: string) =>
    failedPoll(source, label, services, toSourceError(error, context(what)));
  const client = source.clientFor(repository);

  let read: HeadRead;
  try {
    read = await readHead(client, repository, source.heads, `${repository.apiUrl}\n${label}`);
  } catch (error) {
    return failed(error, `branch ${repository.branch}`);
  }
  const { head, previous } = read;
  if (services.every((service) => known[service.name]?.commit === head.commit)) {
    log.debug({ repository: label, commit: head.commit }, "head unchanged");
    return { status: "unchanged", changed: false, commit: head.commit };
  }
  // A service that has not applied the head (a retry of a failed commit, a new service) reads it again at the same
  // head: only a head that differs from the last one read is a move.
  const headNews =
    previous === undefined ? "head read" : previous.commit === head.commit ? "head unchanged" : "head moved";
  log.info({ repository: label, commit: head.commit }, `${headNews}, reading tree`);

  let listing: RepoListing;
  try {
    listing = await readListing(client, repository, head.tree, services, source.listings);
  } catch (error) {
    return failed(error, `tree ${head.tree}`);
  }
  const { plans, ...blobs } = await planPoll({
    repository: label,
    services,
    listing,
    known,
    maxFileBytes: source.maxFileBytes,
    readBlobs: headBlobs(source, { client, repository, context, commit: head.commit }, listing),
  });
  const results = plans.map((plan) => finishService(plan, blobs, label));
  for (const result of results) {
    if (!result.ok)
      log.warn({ repository: label, service: result.service, code: result.error.code }, result.error.message);
  }
  return { status: "changed", changed: true, commit: head.commit, services: results };
}

/** headBlobs reads blobs for the read of one commit: a tarball is asked for by its commit and sized by its tree. */
export function headBlobs(
  source: GitHubSourceState,
  read: Omit<BlobReadInput, "plans" | "tree" | "prefetch">,
  listing: RepoListing,
): ReadBlobs {
  return (plans, prefetch) =>
    source.blobs.read({
      ...read,
      plans,
      ...(listing.tree === undefined ? {} : { tree: listing.tree }),
      ...(prefetch === undefined ? {} : { prefetch }),
    });
}

/** failedPoll is a repository that could not be read: the same error for every service, logged once. */
function failedPoll(
  source: GitHubSourceState,
  label: string,
  services: readonly SourceService[],
  error: SourceError,
): PollResult {
  source.log.warn({ repository: label, code: error.code }, error.message);
  const failures = services.map(
    (service): ServiceFailure => ({ ok: false, service: service.name, dir: service.dir, error }),
  );
  return { status: "failed", changed: false, error, services: failures };
}

import { repositoryLabel } from "./errors.js";
import type { GitHubClient } from "./github-client.js";
import { requestContext, toSourceError } from "./github-errors.js";
import { planPoll } from "./github-kustomize.js";
import { readListing } from "./github-listing.js";
import { headBlobs } from "./github-poll.js";
import type { GitHubSourceState } from "./github-state.js";
import { finishService } from "./plan.js";
import type { ReadRequest, ServiceResult, SourceRepository } from "./source.js";

/**
 * readAtCommit reads a service's directory at one commit, whatever the branch's head: the commit's tree (one
 * request), the service's listing (cached by tree SHA) and the blobs not in the blob cache, planned as a poll plans
 * the head (a kustomized service gets its closure). Files are compared with the known set `files`.
 */
export async function readAtCommit(
  source: GitHubSourceState,
  request: ReadRequest & { readonly commit: string },
): Promise<ServiceResult> {
  const { repository, service, commit } = request;
  const label = repositoryLabel(repository);
  const context = requestContext(repository, [service.name], source.now);
  const client = source.clientFor(repository);
  const failed = (error: unknown, what: string): ServiceResult => {
    const sourceError = toSourceError(error, context(what));
    source.log.warn(
      { repository: label, service: service.name, code: sourceError.code },
      sourceError.message,
    );
    return { ok: false, service: service.name, dir: service.dir, error: sourceError };
  };
  let tree: string;
  try {
    tree = await commitTree(client, repository, commit);
  } catch (error) {
    return failed(error, `commit ${commit}`);
  }
  let listing: Awaited<ReturnType<typeof readListing>>;
  try {
    listing = await readListing(client, repository, tree, [service], source.listings);
  } catch (error) {
    return failed(error, `tree ${tree}`);
  }
  const { plans, ...blobs } = await planPoll({
    repository: label,
    services: [service],
    listing,
    known: { [service.name]: { files: request.files } },
    maxFileBytes: source.maxFileBytes,
    readBlobs: headBlobs(source, { client, repository, context, commit }, listing),
  });
  const [plan] = plans;
  if (plan === undefined) throw new Error(`no plan for service ${service.name}: planPoll lost it`);
  return finishService(plan, blobs, label);
}

/** commitTree is the tree SHA of a commit (`GET /repos/{o}/{r}/git/commits/{sha}`, which computes no diff). */
async function commitTree(
  client: GitHubClient,
  repository: SourceRepository,
  commit: string,
): Promise<string> {
  const { data } = await client.rest.git.getCommit({
    owner: repository.owner,
    repo: repository.repo,
    commit_sha: commit,
  });
  return data.tree.sha;
}

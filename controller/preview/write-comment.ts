import type { GitHubClient } from "../source/github-client.js";
import { httpStatus } from "../source/github-errors.js";
import type { SourceRepository } from "../source/source.js";

/** COMMENT_PAGES bounds the search for the preview comment: 10 pages of 100 comments, oldest first. */
export const COMMENT_PAGES = 10;

/** WrittenComment is the comment a pull request's preview lives in, and the body GitHub holds. */
export interface WrittenComment {
  readonly id: number;
  readonly body: string;
}

/**
 * writeComment puts `body` in the pull request's one preview comment: the comment known from before, else the
 * oldest one whose body starts with `marker` (after a restart), edited in place; a new comment only when there is
 * none, or it was deleted. A body GitHub already holds is not written again.
 */
export async function writeComment(
  client: GitHubClient,
  repository: SourceRepository,
  request: { readonly number: number; readonly body: string; readonly marker: string },
  known: WrittenComment | undefined,
  signal: AbortSignal,
): Promise<WrittenComment> {
  const where = { owner: repository.owner, repo: repository.repo };
  const found = known ?? (await findComment(client, repository, request, signal));
  if (found?.body === request.body) return found;
  if (found !== undefined) {
    try {
      await client.rest.issues.updateComment({
        ...where,
        comment_id: found.id,
        body: request.body,
        request: { signal },
      });
      return { id: found.id, body: request.body };
    } catch (error: unknown) {
      // Someone deleted it: the preview gets a new one.
      if (httpStatus(error) !== 404) throw error;
    }
  }
  const { data } = await client.rest.issues.createComment({
    ...where,
    issue_number: request.number,
    body: request.body,
    request: { signal },
  });
  return { id: data.id, body: request.body };
}

/** findComment is the oldest comment of the pull request that starts with the marker, if any. */
async function findComment(
  client: GitHubClient,
  repository: SourceRepository,
  request: { readonly number: number; readonly marker: string },
  signal: AbortSignal,
): Promise<WrittenComment | undefined> {
  for (let page = 1; page <= COMMENT_PAGES; page++) {
    const { data } = await client.rest.issues.listComments({
      owner: repository.owner,
      repo: repository.repo,
      issue_number: request.number,
      per_page: 100,
      page,
      request: { signal },
    });
    const mine = data.find((comment) => comment.body?.startsWith(request.marker));
    if (mine !== undefined) return { id: mine.id, body: mine.body ?? "" };
    if (data.length < 100) return undefined;
  }
  return undefined;
}

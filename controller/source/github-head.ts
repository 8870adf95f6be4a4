import type { GitHubClient } from "./github-client.js";
import { httpStatus } from "./github-errors.js";
import type { SourceRepository } from "./source.js";

/** Head is a branch's head as GitHub last gave it, with the ETag to ask again with. */
export interface Head {
  readonly etag?: string;
  readonly commit: string;
  readonly tree: string;
}

/** HeadRead is the head read now and the one read before it, if any. */
export interface HeadRead {
  readonly head: Head;
  readonly previous?: Head;
}

/**
 * readHead reads a branch's head with If-None-Match, so an unchanged head costs a 304 that GitHub does not charge,
 * and records it in `heads`. It throws what GitHub answered otherwise.
 */
export async function readHead(
  client: GitHubClient,
  repository: SourceRepository,
  heads: Map<string, Head>,
  key: string,
): Promise<HeadRead> {
  const previous = heads.get(key);
  const read = (head: Head): HeadRead => (previous === undefined ? { head } : { head, previous });
  try {
    const response = await client.rest.repos.getBranch({
      owner: repository.owner,
      repo: repository.repo,
      branch: repository.branch,
      headers: previous?.etag === undefined ? {} : { "if-none-match": previous.etag },
    });
    // answerNotModified (github-transport.ts) hands a 304 back as a response, not as an error.
    if ((response.status as number) === 304 && previous !== undefined) return read(previous);
    const etag = response.headers.etag;
    const head: Head = {
      commit: response.data.commit.sha,
      tree: response.data.commit.commit.tree.sha,
      ...(etag === undefined ? {} : { etag }),
    };
    // Recording the head is safe even if the rest of the poll fails: it is what GitHub says, and whether it was
    // applied is decided against the caller's known commits, not against this cache.
    heads.set(key, head);
    return read(head);
  } catch (error) {
    if (httpStatus(error) === 304 && previous !== undefined) return read(previous);
    throw error;
  }
}

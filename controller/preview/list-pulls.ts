import type { GitHubClient } from "../source/github-client.js";
import type { SourceRepository } from "../source/source.js";
import type { PullRequest } from "./types.js";

/** PULL_PAGES bounds the open pull requests looked at per repository: 3 pages of 100, the most recently updated. */
export const PULL_PAGES = 3;

/** PullListCache is the last list of open pull requests per repository, with the ETag to ask again with. */
export type PullListCache = Map<string, { readonly etag?: string; readonly pulls: readonly PullRequest[] }>;

/** PullList is the open pull requests into a branch, or `changed: false` when GitHub said nothing changed (304). */
export type PullList =
  | { readonly changed: false; readonly pulls: readonly PullRequest[] }
  | { readonly changed: true; readonly pulls: readonly PullRequest[] };

type RawPull = {
  number: number;
  title: string;
  html_url: string;
  user: { login: string } | null;
  head: { sha: string; ref: string; repo: { full_name: string } | null };
  base: { ref: string; repo: { full_name: string } };
};

/**
 * listOpenPulls lists the open pull requests into the repository's branch, most recently updated first, asking
 * with the last ETag: an unchanged list is a 304 GitHub does not charge, so an idle repository costs nothing. A push
 * to any of them moves it to the top and changes the first page, so the first page alone says whether anything
 * changed; the next pages (up to {@link PULL_PAGES}) are read only then.
 */
export async function listOpenPulls(
  client: GitHubClient,
  repository: SourceRepository,
  repoKey: string,
  cache: PullListCache,
  signal: AbortSignal,
): Promise<PullList> {
  const previous = cache.get(repoKey);
  const page = (number: number, etag?: string) =>
    client.rest.pulls.list({
      owner: repository.owner,
      repo: repository.repo,
      state: "open",
      base: repository.branch,
      sort: "updated",
      direction: "desc",
      per_page: 100,
      page: number,
      headers: etag === undefined ? {} : { "if-none-match": etag },
      request: { signal },
    });
  const first = await page(1, previous?.etag);
  // answerNotModified (controller/source/github-transport.ts) hands a 304 back as a response.
  if ((first.status as number) === 304 && previous !== undefined)
    return { changed: false, pulls: previous.pulls };
  const raw: RawPull[] = [...first.data];
  let more = hasNext(first.headers.link);
  for (let number = 2; more && number <= PULL_PAGES; number++) {
    const next = await page(number);
    raw.push(...next.data);
    more = hasNext(next.headers.link);
  }
  const pulls = raw.map((pull) => pullRequest(repoKey, pull));
  const etag = first.headers.etag;
  cache.set(repoKey, { ...(etag === undefined ? {} : { etag }), pulls });
  return { changed: true, pulls };
}

function hasNext(link: string | undefined): boolean {
  return link !== undefined && /rel="next"/.test(link);
}

function pullRequest(repoKey: string, raw: RawPull): PullRequest {
  const base = raw.base.repo.full_name.toLowerCase();
  return {
    repoKey,
    number: raw.number,
    title: raw.title,
    url: raw.html_url,
    author: raw.user?.login ?? "",
    headSha: raw.head.sha,
    headRef: raw.head.ref,
    baseRef: raw.base.ref,
    // A deleted fork leaves no head repository: it came from elsewhere all the same.
    fork: raw.head.repo === null || raw.head.repo.full_name.toLowerCase() !== base,
  };
}

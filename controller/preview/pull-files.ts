import type { GitHubClient } from "../source/github-client.js";
import type { SourceRepository } from "../source/source.js";

/** MAX_PULL_FILES is as many files of a pull request as GitHub lists; a larger one is taken to touch every service. */
export const MAX_PULL_FILES = 3000;

/** PullPaths are the paths a pull request changes (a rename's old path too), and whether GitHub listed them all. */
export interface PullPaths {
  readonly paths: readonly string[];
  readonly complete: boolean;
}

/**
 * pullPaths lists the paths a pull request changes since its merge base, 100 a page, up to GitHub's 3000: a file's
 * path, and a renamed file's previous path, which its old service loses.
 */
export async function pullPaths(
  client: GitHubClient,
  repository: SourceRepository,
  number: number,
  signal: AbortSignal,
): Promise<PullPaths> {
  const paths: string[] = [];
  let listed = 0;
  for (let page = 1; listed < MAX_PULL_FILES; page++) {
    const { data } = await client.rest.pulls.listFiles({
      owner: repository.owner,
      repo: repository.repo,
      pull_number: number,
      per_page: 100,
      page,
      request: { signal },
    });
    listed += data.length;
    for (const file of data)
      paths.push(file.filename, ...(file.previous_filename ? [file.previous_filename] : []));
    if (data.length < 100) return { paths, complete: true };
  }
  return { paths, complete: false };
}

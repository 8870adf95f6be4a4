import { LruCache } from "../../common/lru.js";
import { normalizeDir } from "../../common/repo-path.js";
import type { GitHubClient } from "./github-client.js";
import { type GitTree, listServiceDirs, type RepoListing } from "./github-tree.js";
import type { SourceRepository, SourceService } from "./source.js";

/** ListingCache keeps listings by tree SHA and service directories: content-addressed, so never stale. */
export type ListingCache = LruCache<string, RepoListing>;

/** createListingCache holds up to 250 000 tree entries' worth of listings. */
export function createListingCache(): ListingCache {
  // Weighed by tree entries: a whole tree is kept for tarball sizing and kustomize bases, and may be 100 000 long.
  return new LruCache<string, RepoListing>({
    maxWeight: 250_000,
    weigh: (listing) => 1 + (listing.tree?.length ?? 0),
  });
}

/** readListing lists the services' directories at a tree, from `cache` when that tree was listed for them before. */
export async function readListing(
  client: GitHubClient,
  repository: SourceRepository,
  tree: string,
  services: readonly SourceService[],
  cache: ListingCache,
): Promise<RepoListing> {
  const dirs = [...new Set(services.map((service) => normalizeDir(service.dir)))].sort();
  const key = `${tree}\n${dirs.join("\n")}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const listing = await listServiceDirs(tree, dirs, (sha, recursive) =>
    readTree(client, repository, sha, recursive),
  );
  cache.set(key, listing);
  return listing;
}

async function readTree(
  client: GitHubClient,
  repository: SourceRepository,
  sha: string,
  recursive: boolean,
): Promise<GitTree> {
  const { data } = await client.rest.git.getTree({
    owner: repository.owner,
    repo: repository.repo,
    tree_sha: sha,
    ...(recursive ? { recursive: "1" } : {}),
  });
  return {
    sha: data.sha,
    truncated: data.truncated,
    tree: data.tree.map((entry) => ({
      path: entry.path,
      mode: entry.mode,
      type: entry.type,
      sha: entry.sha,
      ...(entry.size === undefined ? {} : { size: entry.size }),
    })),
  };
}

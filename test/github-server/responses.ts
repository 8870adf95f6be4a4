import type { GitCommit, GitTreeEntry } from "./git-objects.js";

/** RepoUrls are the roots a response's URLs are built from: the API root and the web root. */
export interface RepoUrls {
  readonly api: string;
  readonly web: string;
  readonly owner: string;
  readonly repo: string;
  readonly id: number;
}

function nodeId(kind: string, id: number, sha: string): string {
  return Buffer.from(`06:${kind}${id}:${sha}`).toString("base64");
}

/** branchBody is GitHub's "Branch With Protection" for an unprotected branch whose committer has no account. */
export function branchBody(urls: RepoUrls, branch: string, commit: GitCommit) {
  const repoApi = `${urls.api}/repos/${urls.owner}/${urls.repo}`;
  const repoWeb = `${urls.web}/${urls.owner}/${urls.repo}`;
  return {
    name: branch,
    commit: {
      sha: commit.sha,
      node_id: nodeId("Commit", urls.id, commit.sha),
      commit: {
        author: commit.author,
        committer: commit.committer,
        message: commit.message,
        tree: { sha: commit.tree, url: `${repoApi}/git/trees/${commit.tree}` },
        url: `${repoApi}/git/commits/${commit.sha}`,
        comment_count: 0,
        verification: {
          verified: false,
          reason: "unsigned",
          signature: null,
          payload: null,
          verified_at: null,
        },
      },
      url: `${repoApi}/commits/${commit.sha}`,
      html_url: `${repoWeb}/commit/${commit.sha}`,
      comments_url: `${repoApi}/commits/${commit.sha}/comments`,
      // GitHub sends null when the commit's emails belong to no GitHub account, as test identities do not.
      author: null,
      committer: null,
      parents: commit.parents.map((sha) => ({
        sha,
        url: `${repoApi}/commits/${sha}`,
        html_url: `${repoWeb}/commit/${sha}`,
      })),
    },
    _links: { self: `${repoApi}/branches/${encodeURIComponent(branch)}`, html: `${repoWeb}/tree/${branch}` },
    protected: false,
    protection: {
      enabled: false,
      required_status_checks: { enforcement_level: "off", contexts: [], checks: [] },
    },
    protection_url: `${repoApi}/branches/${encodeURIComponent(branch)}/protection`,
  };
}

/** commitBody is GitHub's "Git Commit" (`GET /repos/{o}/{r}/git/commits/{sha}`) of an unsigned commit. */
export function commitBody(urls: RepoUrls, commit: GitCommit) {
  const repoApi = `${urls.api}/repos/${urls.owner}/${urls.repo}`;
  const repoWeb = `${urls.web}/${urls.owner}/${urls.repo}`;
  return {
    sha: commit.sha,
    node_id: nodeId("Commit", urls.id, commit.sha),
    url: `${repoApi}/git/commits/${commit.sha}`,
    html_url: `${repoWeb}/commit/${commit.sha}`,
    author: commit.author,
    committer: commit.committer,
    tree: { sha: commit.tree, url: `${repoApi}/git/trees/${commit.tree}` },
    message: commit.message,
    parents: commit.parents.map((sha) => ({
      sha,
      url: `${repoApi}/git/commits/${sha}`,
      html_url: `${repoWeb}/commit/${sha}`,
    })),
    verification: { verified: false, reason: "unsigned", signature: null, payload: null, verified_at: null },
  };
}

/** treeBody is GitHub's "Git Tree"; `limit` keeps only the first entries and marks the answer truncated. */
export function treeBody(urls: RepoUrls, sha: string, entries: readonly GitTreeEntry[], limit?: number) {
  const repoApi = `${urls.api}/repos/${urls.owner}/${urls.repo}`;
  const truncated = limit !== undefined && entries.length > limit;
  const kept = truncated ? entries.slice(0, limit) : entries;
  return {
    sha,
    url: `${repoApi}/git/trees/${sha}`,
    tree: kept.map((entry) => ({
      path: entry.path,
      mode: entry.mode,
      type: entry.type,
      sha: entry.sha,
      ...(entry.type === "blob" ? { size: entry.size ?? 0 } : {}),
      // Submodule entries carry no URL on GitHub: the commit lives in another repository.
      ...(entry.type === "blob" ? { url: `${repoApi}/git/blobs/${entry.sha}` } : {}),
      ...(entry.type === "tree" ? { url: `${repoApi}/git/trees/${entry.sha}` } : {}),
    })),
    truncated,
  };
}

/** blobBody is GitHub's "Blob": base64 content wrapped at 60 characters with a closing newline, as GitHub does. */
export function blobBody(urls: RepoUrls, sha: string, bytes: Buffer) {
  const base64 = bytes.toString("base64");
  const lines = base64.match(/.{1,60}/g) ?? [];
  return {
    sha,
    node_id: nodeId("Blob", urls.id, sha),
    size: bytes.length,
    url: `${urls.api}/repos/${urls.owner}/${urls.repo}/git/blobs/${sha}`,
    content: lines.length === 0 ? "" : `${lines.join("\n")}\n`,
    encoding: "base64",
  };
}

/** errorBody is GitHub's "Basic Error". */
export function errorBody(
  message: string,
  status: number,
  documentationUrl = "https://docs.github.com/rest",
) {
  return { message, documentation_url: documentationUrl, status: String(status) };
}

/** DOCS are the documentation URLs GitHub puts in the errors of the endpoints the server serves. */
export const DOCS = {
  branch: "https://docs.github.com/rest/branches/branches#get-a-branch",
  tree: "https://docs.github.com/rest/git/trees#get-a-tree",
  commit: "https://docs.github.com/rest/git/commits#get-a-commit-object",
  blob: "https://docs.github.com/rest/git/blobs#get-a-blob",
  tarball: "https://docs.github.com/rest/repos/contents#download-a-repository-archive-tar",
  rateLimit: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
  secondaryRateLimit:
    "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
} as const;

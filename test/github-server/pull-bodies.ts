import type { RepoUrls } from "./responses.js";

/** PullView is what a pull request's body is built from. */
export interface PullView {
  readonly number: number;
  readonly title: string;
  readonly state: "open" | "closed";
  readonly headRef: string;
  readonly headSha: string;
  readonly baseRef: string;
  readonly baseSha: string;
  /** The fork's owner when the head branch is in a fork, else undefined. */
  readonly forkOwner?: string;
  readonly author: string;
  readonly draft: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly closedAt: string | null;
  readonly mergedAt: string | null;
}

/** CommentView is what an issue comment's body is built from. */
export interface CommentView {
  readonly id: number;
  readonly issue: number;
  readonly body: string;
  readonly author: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

function nodeId(kind: string, id: number): string {
  return Buffer.from(`0${kind.length}:${kind}${id}`).toString("base64");
}

function accountId(login: string): number {
  let hash = 7;
  for (const char of login) hash = (hash * 31 + char.charCodeAt(0)) % 1_000_000;
  return hash + 1;
}

/** userBody is GitHub's "Simple User" of an account with no avatar, as the test server's accounts are. */
export function userBody(urls: Pick<RepoUrls, "api" | "web">, login: string) {
  const api = `${urls.api}/users/${login}`;
  return {
    login,
    id: accountId(login),
    node_id: nodeId("User", accountId(login)),
    avatar_url: `${urls.web}/avatars/${login}`,
    gravatar_id: "",
    url: api,
    html_url: `${urls.web}/${login}`,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type: login.endsWith("[bot]") ? "Bot" : "User",
    site_admin: false,
  };
}

/** repositoryBody is GitHub's "Repository" as a pull request's head and base carry it. */
export function repositoryBody(urls: RepoUrls, owner: string, fork: boolean) {
  const api = `${urls.api}/repos/${owner}/${urls.repo}`;
  const web = `${urls.web}/${owner}/${urls.repo}`;
  const id = fork ? accountId(`${owner}/${urls.repo}`) + 100_000 : urls.id;
  return {
    id,
    node_id: nodeId("Repository", id),
    name: urls.repo,
    full_name: `${owner}/${urls.repo}`,
    owner: userBody(urls, owner),
    private: false,
    html_url: web,
    description: null,
    fork,
    url: api,
    archive_url: `${api}/{archive_format}{/ref}`,
    assignees_url: `${api}/assignees{/user}`,
    blobs_url: `${api}/git/blobs{/sha}`,
    branches_url: `${api}/branches{/branch}`,
    collaborators_url: `${api}/collaborators{/collaborator}`,
    comments_url: `${api}/comments{/number}`,
    commits_url: `${api}/commits{/sha}`,
    compare_url: `${api}/compare/{base}...{head}`,
    contents_url: `${api}/contents/{+path}`,
    contributors_url: `${api}/contributors`,
    deployments_url: `${api}/deployments`,
    downloads_url: `${api}/downloads`,
    events_url: `${api}/events`,
    forks_url: `${api}/forks`,
    git_commits_url: `${api}/git/commits{/sha}`,
    git_refs_url: `${api}/git/refs{/sha}`,
    git_tags_url: `${api}/git/tags{/sha}`,
    git_url: `${web.replace(/^https?:/, "git:")}.git`,
    issue_comment_url: `${api}/issues/comments{/number}`,
    issue_events_url: `${api}/issues/events{/number}`,
    issues_url: `${api}/issues{/number}`,
    keys_url: `${api}/keys{/key_id}`,
    labels_url: `${api}/labels{/name}`,
    languages_url: `${api}/languages`,
    merges_url: `${api}/merges`,
    milestones_url: `${api}/milestones{/number}`,
    notifications_url: `${api}/notifications{?since,all,participating}`,
    pulls_url: `${api}/pulls{/number}`,
    releases_url: `${api}/releases{/id}`,
    ssh_url: `git@127.0.0.1:${owner}/${urls.repo}.git`,
    stargazers_url: `${api}/stargazers`,
    statuses_url: `${api}/statuses/{sha}`,
    subscribers_url: `${api}/subscribers`,
    subscription_url: `${api}/subscription`,
    tags_url: `${api}/tags`,
    teams_url: `${api}/teams`,
    trees_url: `${api}/git/trees{/sha}`,
    clone_url: `${web}.git`,
    mirror_url: null,
    hooks_url: `${api}/hooks`,
    svn_url: web,
    homepage: null,
    language: null,
    forks_count: 0,
    forks: 0,
    stargazers_count: 0,
    watchers_count: 0,
    watchers: 0,
    size: 0,
    default_branch: "main",
    open_issues_count: 0,
    open_issues: 0,
    has_issues: true,
    has_projects: true,
    has_wiki: true,
    has_pages: false,
    has_downloads: true,
    archived: false,
    disabled: false,
    license: null,
    pushed_at: null,
    created_at: null,
    updated_at: null,
  };
}

/** pullBody is GitHub's "Pull Request Simple", an item of `GET /repos/{o}/{r}/pulls`. */
export function pullBody(urls: RepoUrls, pull: PullView) {
  const api = `${urls.api}/repos/${urls.owner}/${urls.repo}`;
  const web = `${urls.web}/${urls.owner}/${urls.repo}`;
  const self = `${api}/pulls/${pull.number}`;
  const html = `${web}/pull/${pull.number}`;
  const issue = `${api}/issues/${pull.number}`;
  const headOwner = pull.forkOwner ?? urls.owner;
  const id = urls.id * 1000 + pull.number;
  return {
    url: self,
    id,
    node_id: nodeId("PullRequest", id),
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: issue,
    commits_url: `${self}/commits`,
    review_comments_url: `${self}/comments`,
    review_comment_url: `${api}/pulls/comments{/number}`,
    comments_url: `${issue}/comments`,
    statuses_url: `${api}/statuses/${pull.headSha}`,
    number: pull.number,
    state: pull.state,
    locked: false,
    title: pull.title,
    user: userBody(urls, pull.author),
    body: null,
    labels: [],
    milestone: null,
    active_lock_reason: null,
    created_at: pull.createdAt,
    updated_at: pull.updatedAt,
    closed_at: pull.closedAt,
    merged_at: pull.mergedAt,
    merge_commit_sha: null,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    head: {
      label: `${headOwner}:${pull.headRef}`,
      ref: pull.headRef,
      sha: pull.headSha,
      user: userBody(urls, headOwner),
      repo: repositoryBody(urls, headOwner, pull.forkOwner !== undefined),
    },
    base: {
      label: `${urls.owner}:${pull.baseRef}`,
      ref: pull.baseRef,
      sha: pull.baseSha,
      user: userBody(urls, urls.owner),
      repo: repositoryBody(urls, urls.owner, false),
    },
    _links: {
      self: { href: self },
      html: { href: html },
      issue: { href: issue },
      comments: { href: `${issue}/comments` },
      review_comments: { href: `${self}/comments` },
      review_comment: { href: `${api}/pulls/comments{/number}` },
      commits: { href: `${self}/commits` },
      statuses: { href: `${api}/statuses/${pull.headSha}` },
    },
    author_association: pull.forkOwner === undefined ? "MEMBER" : "CONTRIBUTOR",
    auto_merge: null,
    draft: pull.draft,
  };
}

/** PullFile is one file a pull request changes, as `git diff` between the merge base and the head says. */
export interface PullFile {
  readonly filename: string;
  readonly previousFilename?: string;
  readonly status: "added" | "removed" | "modified" | "renamed";
  readonly sha: string;
  readonly additions: number;
  readonly deletions: number;
}

/** fileBody is GitHub's "Diff Entry", an item of `GET /repos/{o}/{r}/pulls/{n}/files` (without the patch). */
export function fileBody(urls: RepoUrls, headSha: string, file: PullFile) {
  const web = `${urls.web}/${urls.owner}/${urls.repo}`;
  const path = file.filename.split("/").map(encodeURIComponent).join("/");
  return {
    sha: file.sha,
    filename: file.filename,
    status: file.status,
    additions: file.additions,
    deletions: file.deletions,
    changes: file.additions + file.deletions,
    blob_url: `${web}/blob/${headSha}/${path}`,
    raw_url: `${web}/raw/${headSha}/${path}`,
    contents_url: `${urls.api}/repos/${urls.owner}/${urls.repo}/contents/${path}?ref=${headSha}`,
    ...(file.previousFilename === undefined ? {} : { previous_filename: file.previousFilename }),
  };
}

/** commentBody is GitHub's "Issue Comment". */
export function commentBody(urls: RepoUrls, comment: CommentView) {
  const api = `${urls.api}/repos/${urls.owner}/${urls.repo}`;
  const web = `${urls.web}/${urls.owner}/${urls.repo}`;
  return {
    id: comment.id,
    node_id: nodeId("IssueComment", comment.id),
    url: `${api}/issues/comments/${comment.id}`,
    html_url: `${web}/pull/${comment.issue}#issuecomment-${comment.id}`,
    body: comment.body,
    user: userBody(urls, comment.author),
    created_at: comment.createdAt,
    updated_at: comment.updatedAt,
    issue_url: `${api}/issues/${comment.issue}`,
    author_association: comment.author.endsWith("[bot]") ? "NONE" : "MEMBER",
    performed_via_github_app: null,
  };
}

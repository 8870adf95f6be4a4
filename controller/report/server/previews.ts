/** PreviewListing is one open pull request's preview as `GET /v1/gitops/previews` lists it. */
export interface PreviewListing {
  /** The `github_configs` key of the repository. */
  readonly repo: string;
  readonly number: number;
  readonly title: string;
  readonly url: string;
  readonly author: string;
  readonly head_sha: string;
  readonly state: "success" | "failure";
  readonly description: string;
  readonly services: readonly {
    readonly service: string;
    readonly lands: boolean;
    readonly created: number;
    readonly changed: number;
    readonly pruned: number;
    readonly unchanged: number;
    readonly errors: number;
  }[];
  readonly previewed_at: string;
}

/** PullRequestEvent is a verified `pull_request` webhook delivery for a repository with previews. */
export interface PullRequestEvent {
  readonly repoKey: string;
  readonly number: number;
  /** GitHub's action: `opened`, `synchronize`, `reopened`, `closed`, ... */
  readonly action: string;
}

/**
 * Previews are the open pull requests' previews (controller/preview): listed and read by the status API and page,
 * and told of `pull_request` webhooks.
 */
export interface Previews {
  list(): readonly PreviewListing[];
  /** get is one pull request's whole preview, or undefined when there is none (closed, or not previewed yet). */
  get(repoKey: string, number: number): object | undefined;
  /** pullRequest previews a pull request now (opened, pushed, reopened) or drops its preview (closed). */
  pullRequest(event: PullRequestEvent): { accepted: boolean; reason?: string };
}

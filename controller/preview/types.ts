import type { ObjectRef } from "../../kube/objects.js";

/** PullRequest is an open pull request into a watched branch, as the pulls list gave it. */
export interface PullRequest {
  /** The `github_configs` key of the repository and branch it merges into. */
  readonly repoKey: string;
  readonly number: number;
  readonly title: string;
  /** Its page on GitHub. */
  readonly url: string;
  readonly author: string;
  readonly headSha: string;
  readonly headRef: string;
  readonly baseRef: string;
  /** True when its head is in another repository (a fork), or in one that was deleted. */
  readonly fork: boolean;
}

/** PreviewObject is one object of a preview, with the file of git it comes from when known. */
export interface PreviewObject extends ObjectRef {
  readonly path?: string;
}

/** ChangedObject is an object merging would create or change, with its unified diff (Secret values masked). */
export interface ChangedObject extends PreviewObject {
  readonly diff: string;
  /** A remark on how it was compared (shown as sent, not compared before its CRD). */
  readonly note?: string;
}

/** LeftObject is an object that left git but would stay in the cluster, and why. */
export interface LeftObject extends PreviewObject {
  readonly reason: string;
}

/** PreviewError is one error a sync would meet, naming the file (and the object, when it is one). */
export interface PreviewError {
  readonly path?: string;
  readonly object?: string;
  readonly code?: string;
  readonly message: string;
}

/**
 * ServicePreview is what merging would do to one service the pull request touches: the objects created, changed,
 * pruned (and left in the cluster), how many stay unchanged, and every error a sync would meet. It lands when it
 * has no error.
 */
export interface ServicePreview {
  readonly service: string;
  readonly dir: string;
  readonly lands: boolean;
  readonly created: readonly ChangedObject[];
  readonly changed: readonly ChangedObject[];
  readonly pruned: readonly PreviewObject[];
  readonly left: readonly LeftObject[];
  readonly unchanged: number;
  readonly errors: readonly PreviewError[];
}

/**
 * Preview is one pull request's preview at one head: each service it touches, and the verdict its commit status
 * carries (success when every touched service would land).
 */
export interface Preview {
  readonly pull: PullRequest;
  /** The head commit the preview was made at (the pull request's head then). */
  readonly commit: string;
  readonly state: "success" | "failure";
  /** One line for the commit status (at most 140 characters). */
  readonly description: string;
  readonly services: readonly ServicePreview[];
  /** When it was made (ISO 8601). */
  readonly at: string;
}

import type { PullRequest, ServicePreview } from "../controller/preview/types.js";

/** pullRequestOf is an open pull request #7 of repository `main` (into main, from branch scale), with `fields`. */
export function pullRequestOf(fields: Partial<PullRequest> = {}): PullRequest {
  return {
    repoKey: "main",
    number: 7,
    title: "Scale web",
    url: "https://github.com/org/gitops/pull/7",
    author: "someone",
    headSha: "a".repeat(40),
    headRef: "scale",
    baseRef: "main",
    fork: false,
    ...fields,
  };
}

/** servicePreviewOf is the preview of service `web` that lands and changes nothing, with `fields`. */
export function servicePreviewOf(fields: Partial<ServicePreview> = {}): ServicePreview {
  return {
    service: "web",
    dir: "web",
    lands: true,
    created: [],
    changed: [],
    pruned: [],
    left: [],
    unchanged: 0,
    errors: [],
    ...fields,
  };
}

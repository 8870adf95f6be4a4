import { GitOpsError } from "../../common/errors.js";
import type { KustomizeErrorCode } from "../desired/errors.js";

/** SourceErrorCode is the closed set of reasons a source can fail a repository or a service. */
export type SourceErrorCode =
  | "E_SOURCE_REPO_NOT_FOUND"
  | "E_SOURCE_BRANCH_NOT_FOUND"
  | "E_SOURCE_COMMIT_NOT_FOUND"
  | "E_SOURCE_BAD_CREDENTIALS"
  | "E_SOURCE_FORBIDDEN"
  | "E_SOURCE_RATE_LIMITED"
  | "E_SOURCE_UNAVAILABLE"
  | "E_SOURCE_DIR_MISSING"
  | "E_SOURCE_DIR_EMPTY"
  | "E_SOURCE_FILE_UNUSABLE"
  | "E_SOURCE_PROTOCOL"
  /** A kustomization whose closure (the files its build reads) cannot be made, as controller/desired/kustomize names it. */
  | KustomizeErrorCode;

/**
 * SourceError is a failure to read a repository or a service directory. Its message names the repository, the
 * branch, the services concerned and what to do next; it never contains a token, and `cause` is a scrubbed copy
 * (status and message only) because an HTTP client's own error carries request headers.
 */
export class SourceError extends GitOpsError {
  readonly code: SourceErrorCode;
  /** `owner/repo@branch`. */
  readonly repository: string;
  readonly services: readonly string[];
  readonly status?: number;
  /** For a rate limit: when GitHub said reading may resume (ISO 8601). */
  readonly until?: string;

  constructor(
    code: SourceErrorCode,
    message: string,
    subject: { repository: string; services: readonly string[]; status?: number; until?: string },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = code;
    this.repository = subject.repository;
    this.services = subject.services;
    if (subject.status !== undefined) this.status = subject.status;
    if (subject.until !== undefined) this.until = subject.until;
  }
}

/** repositoryLabel renders a repository and branch as errors and logs name it: `owner/repo@branch`. */
export function repositoryLabel(repository: { owner: string; repo: string; branch: string }): string {
  return `${repository.owner}/${repository.repo}@${repository.branch}`;
}

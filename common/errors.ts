/**
 * GitOpsError is the base of every error this project raises on purpose: it carries a stable `code` that logs,
 * the status API and tests match on, and keeps the underlying failure as `cause`.
 */
export abstract class GitOpsError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

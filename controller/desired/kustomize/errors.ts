import { GitOpsError } from "../../../common/errors.js";

/** KustomizeErrorCode is the closed set of reasons a kustomize service cannot be built. */
export type KustomizeErrorCode =
  /** A kustomization the controller refuses to hand to kustomize: a path out of the repository, a cycle, helm. */
  | "E_KUSTOMIZE_INVALID"
  /** A remote base or resource while `allow_remote_bases` is off. */
  | "E_KUSTOMIZE_REMOTE"
  /** kustomize itself failed (its own message), or its output could not be used. */
  | "E_KUSTOMIZE_BUILD";

/** KustomizeError names the kustomization file (`subject`) and what is wrong with it (`reason`). */
export class KustomizeError extends GitOpsError {
  readonly code: KustomizeErrorCode;
  readonly subject: string;
  readonly reason: string;

  constructor(code: KustomizeErrorCode, subject: string, reason: string, options?: { cause?: unknown }) {
    super(`${subject}: ${reason}`, options);
    this.code = code;
    this.subject = subject;
    this.reason = reason;
  }
}

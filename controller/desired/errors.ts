import { GitOpsError } from "../../common/errors.js";

/** DesiredSetErrorCode is the closed set of reasons git content cannot become a service's desired set. */
export type DesiredSetErrorCode =
  /**
   * A kustomization the controller refuses to hand to kustomize: a path out of the repository, a cycle, a chart
   * that is not in the repository.
   */
  | "E_KUSTOMIZE_INVALID"
  /** A remote base, resource or chart repository while `allow_remote_bases` is off. */
  | "E_KUSTOMIZE_REMOTE"
  /** kustomize itself failed (its own message), or its output could not be used. */
  | "E_KUSTOMIZE_BUILD"
  /** A kustomization renders a Helm chart, and no helm v3 was found to render it with. */
  | "E_HELM_NOT_FOUND"
  /** helm failed to render a chart of a kustomization (helm's own message). */
  | "E_HELM_RENDER"
  | "E_MANIFEST_PARSE"
  | "E_MANIFEST_INVALID"
  | "E_MANIFEST_TOO_LARGE"
  | "E_CONFIG_CONFLICT"
  | "E_NAMESPACE_NOT_ALLOWED"
  | "E_OWN_OBJECT"
  | "E_CRD_RESERVED_GROUP";

/** KustomizeErrorCode is the part of DesiredSetErrorCode a kustomization's closure or build fails with. */
export type KustomizeErrorCode = Extract<DesiredSetErrorCode, `E_KUSTOMIZE_${string}`>;

/**
 * DesiredSetError is raised when git content cannot become objects to apply: a manifest that does not parse or is
 * refused by the render, a kustomization that cannot be built. `subject` names the file or object.
 */
export class DesiredSetError<Code extends DesiredSetErrorCode = DesiredSetErrorCode> extends GitOpsError {
  readonly code: Code;
  readonly subject: string;
  /** reason is the message without its subject, for callers that name the subject themselves. */
  readonly reason: string;

  constructor(code: Code, subject: string, reason: string, options?: { cause?: unknown }) {
    super(`${subject}: ${reason}`, options);
    this.code = code;
    this.subject = subject;
    this.reason = reason;
  }
}

/** isKustomizeError says whether `error` is a kustomization refused or failed, as opposed to a manifest. */
export function isKustomizeError(error: unknown): error is DesiredSetError<KustomizeErrorCode> {
  return error instanceof DesiredSetError && error.code.startsWith("E_KUSTOMIZE_");
}

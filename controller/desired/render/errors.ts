import { GitOpsError } from "../../../common/errors.js";

/** RenderErrorCode is the closed set of reasons git content cannot become objects to apply. */
export type RenderErrorCode =
  | "E_MANIFEST_PARSE"
  | "E_MANIFEST_INVALID"
  | "E_MANIFEST_TOO_LARGE"
  | "E_CONFIG_CONFLICT"
  | "E_NAMESPACE_NOT_ALLOWED"
  | "E_OWN_OBJECT"
  | "E_CRD_RESERVED_GROUP";

/** RenderError is raised when git content cannot become objects to apply; `subject` names the file or object. */
export class RenderError extends GitOpsError {
  readonly code: RenderErrorCode;
  readonly subject: string;
  /** reason is the message without its subject, for callers that name the subject themselves. */
  readonly reason: string;

  constructor(code: RenderErrorCode, subject: string, message: string, options?: { cause?: unknown }) {
    super(`${subject}: ${message}`, options);
    this.code = code;
    this.subject = subject;
    this.reason = message;
  }
}

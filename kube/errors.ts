import { GitOpsError } from "../common/errors.js";

/** KubeConfigError says no usable kubeconfig was found: nothing could be sent to a cluster. */
export class KubeConfigError extends GitOpsError {
  readonly code = "E_KUBECONFIG";
}

import { KubeConfig } from "@kubernetes/client-node";
import { GitOpsError } from "./errors.js";
import { createKubeRequest, type KubeRequest } from "./http.js";

/** KubeConfigError says no usable kubeconfig was found: nothing could be sent to a cluster. */
export class KubeConfigError extends GitOpsError {
  readonly code = "E_KUBECONFIG";
}

/** loadDefaultKubeConfig reads $KUBECONFIG, ~/.kube/config or the in-cluster service account, as kubectl does. */
export function loadDefaultKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  try {
    kc.loadFromDefault();
  } catch (error: unknown) {
    throw new KubeConfigError(`no usable kubeconfig: ${(error as Error).message}`, { cause: error });
  }
  return kc;
}

/**
 * lazyKubeRequest is one apiserver client for the whole process whose kubeconfig is loaded on the first request,
 * so a dry run, or a config that never talks to the apiserver, never needs one. A failed load is tried again on
 * the next request (a mounted token may appear later).
 */
export function lazyKubeRequest(load: () => KubeConfig = loadDefaultKubeConfig): KubeRequest {
  let request: KubeRequest | undefined;
  return async (method, path, body, options) => {
    if (!request) {
      const kc = load();
      if (!kc.getCurrentCluster()) throw new KubeConfigError("no usable kubeconfig: no current cluster");
      request = createKubeRequest(kc);
    }
    return request(method, path, body, options);
  };
}

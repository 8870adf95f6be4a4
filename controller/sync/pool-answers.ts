import type { Clock } from "../../common/clock.js";
import type { KubeRequest } from "../../kube/http.js";
import { KubeConfigError } from "../../kube/kubeconfig.js";
import type { ServicePool } from "./service-pool.js";

/**
 * answeringTo is `request` telling the pool of service syncs each apiserver answer, its status and when it was sent,
 * so the pool grows while the apiserver answers quickly and shrinks when it throttles, fails or slows down (see
 * pool-size.ts). A request the caller aborted (leadership lost, shutting down) and a kubeconfig that cannot be read
 * say nothing of the apiserver, and are not told.
 */
export function answeringTo(
  pool: Pick<ServicePool, "answered">,
  clock: Pick<Clock, "monotonic">,
  request: KubeRequest,
): KubeRequest {
  return async (method, path, body, options) => {
    const sentAt = clock.monotonic();
    try {
      const response = await request(method, path, body, options);
      pool.answered({ status: response.status, sentAt });
      return response;
    } catch (error: unknown) {
      if (!options?.signal?.aborted && !(error instanceof KubeConfigError))
        pool.answered({ status: "error", sentAt });
      throw error;
    }
  };
}

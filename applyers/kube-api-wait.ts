import type { Clock } from "../common/clock.js";
import type { KubeRequest } from "../kube/http.js";
import type { KubeObject } from "../kube/objects.js";
import type { ObjectApplyResult } from "./applyer.js";

// A new CRD is usually Established within a few hundred ms: poll fast first, then every 250 ms.
const ESTABLISHED_POLL_MS = [25, 50, 100, 250] as const;

/**
 * kubeApiWaitEstablished polls each CRD until it is Established, all of them within `timeoutMs` on the monotonic
 * clock. It returns the name of the first CRD still not established at the deadline (and waits no further), or
 * undefined once every one is served.
 */
export async function kubeApiWaitEstablished(
  request: KubeRequest,
  crds: readonly ObjectApplyResult[],
  opts: { clock: Clock; timeoutMs: number; signal: AbortSignal | undefined },
): Promise<string | undefined> {
  const { clock, signal } = opts;
  const deadline = clock.monotonic() + opts.timeoutMs;
  for (const crd of crds) {
    for (let attempt = 0; ; attempt++) {
      const res = await request(
        "GET",
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.name}`,
        undefined,
        signal ? { signal } : {},
      );
      const conditions = (
        (res.body as KubeObject).status as { conditions?: { type: string; status: string }[] }
      )?.conditions;
      if (conditions?.some((c) => c.type === "Established" && c.status === "True")) break;
      if (clock.monotonic() >= deadline) return crd.name;
      signal?.throwIfAborted();
      await clock.sleep(ESTABLISHED_POLL_MS[Math.min(attempt, ESTABLISHED_POLL_MS.length - 1)] as number);
    }
  }
  return undefined;
}

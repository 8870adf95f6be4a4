import type { ObjectApplyResult } from "./applyer.js";
import type { KubectlRun } from "./kubectl-run.js";

/**
 * kubectlWaitEstablished waits with `kubectl wait` until the given CRDs are Established, for `timeoutSeconds` at
 * most (kubectl's own `--timeout`; the run's timeout bounds a kubectl that does not keep to it). It returns why
 * the wait failed, or undefined once every CRD is served.
 */
export async function kubectlWaitEstablished(
  kubectl: KubectlRun,
  crds: readonly ObjectApplyResult[],
  opts: { timeoutSeconds: number; signal: AbortSignal | undefined },
): Promise<string | undefined> {
  if (crds.length === 0) return undefined;
  const waited = await kubectl.run(
    [
      "wait",
      "--for=condition=Established",
      `--timeout=${opts.timeoutSeconds}s`,
      ...crds.map((crd) => `customresourcedefinition.apiextensions.k8s.io/${crd.name}`),
    ],
    { signal: opts.signal },
  );
  return waited.exitCode === 0 ? undefined : kubectl.failure(waited, "wait");
}

import type { Logger } from "pino";
import {
  BASE_CHILD_ENV,
  childEnv,
  DEFAULT_RUN_TIMEOUT_MS,
  type EnvSource,
  type RunCommand,
  runProcess,
} from "../common/run.js";
import {
  type Applyer,
  ApplyerUnavailableError,
  type ApplyOptions,
  type ApplyResult,
  type DeleteResult,
} from "./applyer.js";
import { kubectlApplyBatch } from "./kubectl-apply.js";
import { kubectlDelete } from "./kubectl-delete.js";
import { createKubectlRun, KUBECTL_APPLYER } from "./kubectl-run.js";
import { kubectlWaitEstablished } from "./kubectl-wait.js";
import { applyInPhases } from "./phases.js";

/** KubectlApplyerOptions configure {@link createKubectlApplyer}. */
export interface KubectlApplyerOptions {
  bin?: string;
  /** kubeconfig path; without it kubectl uses $KUBECONFIG, ~/.kube/config or in-cluster credentials. */
  kubeconfig?: string;
  context?: string;
  /** crdEstablishedTimeoutSeconds bounds the wait for new CRDs before their custom resources are applied. */
  crdEstablishedTimeoutSeconds?: number;
  /** concurrency bounds the one-object-per-call fallback and deletes. */
  concurrency?: number;
  /**
   * timeoutMs bounds every kubectl run (the config's `apply_timeout`; default 300 s): past it kubectl and what it
   * started are killed, and the objects it was for fail with a message that says so.
   */
  timeoutMs?: number;
  run?: RunCommand;
  /**
   * env is where kubectl's environment is picked from (`process.env` by default): only {@link KUBECTL_ENV}, so
   * kubectl and its credential plugins never see the controller's tokens and secrets.
   */
  env?: EnvSource;
  log: Logger;
}

/** KUBECTL_ENV is kubectl's allowlist: the base one plus what in-cluster config reads in a pod. */
export const KUBECTL_ENV: readonly string[] = [
  ...BASE_CHILD_ENV,
  "KUBERNETES_SERVICE_HOST",
  "KUBERNETES_SERVICE_PORT",
];

/**
 * createKubectlApplyer applies with `kubectl apply --server-side --field-manager=simple-gitops`.
 *
 * kubectl's server-side apply output does not say whether an object changed, so the applyer reads the live
 * objects first (`kubectl get -f - -o json`, one call) and compares them with what apply returns (`-o json`, one
 * call), status and bookkeeping aside (see change.ts): absent before means created, a difference configured,
 * none unchanged; their managed fields say which fields `--force-conflicts` took over from other managers. When
 * the batch call fails, kubectl prints no objects at all, and its aggregated error cannot be attributed reliably,
 * so the objects are re-applied one per call to give each its own result and the server's message; server-side
 * apply is idempotent, so re-sending the ones that had succeeded is harmless (kubectl-apply.ts). Namespaces and CRDs
 * go first, as their own batch, and new CRDs are waited for until Established (kubectl-wait.ts). Deletes go through
 * `kubectl delete --raw` with DeleteOptions, so a ref's UID becomes a precondition (kubectl-delete.ts).
 *
 * Every run is bounded by `timeoutMs`: a kubectl that hangs is killed with its process group, and the objects it
 * was for fail (a killed batch is not re-sent one per call, which would only hang again), so the sync fails and is
 * retried. An aborted `signal` kills the run in flight and rejects with the signal's reason, reporting nothing.
 */
export function createKubectlApplyer(options: KubectlApplyerOptions): Applyer {
  const { log, concurrency = 4 } = options;
  const name = KUBECTL_APPLYER;
  const kubectl = createKubectlRun({
    bin: options.bin ?? "kubectl",
    global: [
      ...(options.kubeconfig ? ["--kubeconfig", options.kubeconfig] : []),
      ...(options.context ? ["--context", options.context] : []),
    ],
    env: childEnv(options.env ?? process.env, KUBECTL_ENV),
    timeoutMs: options.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS,
    run: options.run ?? runProcess,
  });

  return {
    name,
    async ensureInstalled() {
      const result = await kubectl.run(["version", "--client", "-o", "json"]);
      if (result.exitCode !== 0) {
        throw new ApplyerUnavailableError(
          name,
          `${kubectl.bin} version failed: ${kubectl.failure(result, "version")}`,
        );
      }
    },

    async apply(objects, opts: ApplyOptions = {}): Promise<ApplyResult> {
      const { signal } = opts;
      signal?.throwIfAborted();
      const results = await applyInPhases(objects, {
        applyBatch: (batch) => kubectlApplyBatch(kubectl, batch, { log, concurrency, signal }),
        waitEstablished: async (crds) => {
          const timeoutSeconds = options.crdEstablishedTimeoutSeconds ?? 60;
          const error = await kubectlWaitEstablished(kubectl, crds, { timeoutSeconds, signal });
          // Not fatal here: custom resources of a CRD that never became established fail with the server's reason.
          if (error !== undefined) log.warn({ applyer: name, error }, "CRDs not established");
        },
      });
      return { applyer: name, objects: results };
    },

    async delete(refs, opts: ApplyOptions = {}): Promise<DeleteResult> {
      const { signal } = opts;
      signal?.throwIfAborted();
      return { applyer: name, objects: await kubectlDelete(kubectl, refs, { concurrency, signal }) };
    },
  };
}

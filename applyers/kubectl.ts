import type { Logger } from "pino";
import { mapLimit } from "../common/map-limit.js";
import {
  BASE_CHILD_ENV,
  childEnv,
  DEFAULT_RUN_TIMEOUT_MS,
  type EnvSource,
  formatTimeout,
  type RunCommand,
  type RunResult,
  runProcess,
} from "../common/run.js";
import { createDiscovery, objectPath } from "../kube/http.js";
import { describeRef, type KubeObject, refOf } from "../kube/objects.js";
import {
  type Applyer,
  ApplyerUnavailableError,
  type ApplyOptions,
  type ApplyResult,
  type DeleteRef,
  type DeleteResult,
  type ObjectApplyResult,
  type ObjectDeleteResult,
} from "./applyer.js";
import { applyAction, FIELD_MANAGER } from "./change.js";
import { deleteOptions } from "./kube-api.js";
import { objectIndex } from "./object-index.js";
import { applyInPhases } from "./phases.js";
import { takenOver } from "./takeover.js";

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
 * none unchanged; their managed fields say which fields `--force-conflicts` took over from other managers. When the batch call fails, kubectl prints no objects at all, and its aggregated error
 * cannot be attributed reliably, so the objects are re-applied one per call to give each its own result and the
 * server's message; server-side apply is idempotent, so re-sending the ones that had succeeded is harmless.
 * Namespaces and CRDs go first, as their own batch, and new CRDs are waited for until Established. Deletes go
 * through `kubectl delete --raw` with DeleteOptions, so a ref's UID becomes a precondition (see deleteOne).
 *
 * Every run is bounded by `timeoutMs`: a kubectl that hangs is killed with its process group, and the objects it
 * was for fail (a killed batch is not re-sent one per call, which would only hang again), so the sync fails and is
 * retried. An aborted `signal` kills the run in flight and rejects with the signal's reason, reporting nothing.
 */
export function createKubectlApplyer(options: KubectlApplyerOptions): Applyer {
  const {
    bin = "kubectl",
    run = runProcess,
    log,
    concurrency = 4,
    timeoutMs = DEFAULT_RUN_TIMEOUT_MS,
  } = options;
  const name = "kubectl";
  const env = childEnv(options.env ?? process.env, KUBECTL_ENV);
  const global = [
    ...(options.kubeconfig ? ["--kubeconfig", options.kubeconfig] : []),
    ...(options.context ? ["--context", options.context] : []),
  ];
  const applyArgs = [
    "apply",
    "--server-side",
    `--field-manager=${FIELD_MANAGER}`,
    // Git is the source of truth: fields another manager holds are taken over and reported, as Flux does.
    "--force-conflicts",
    "-f",
    "-",
    "-o",
    "json",
    // kubectl hides managedFields by default; they say which fields the forced apply took over.
    "--show-managed-fields",
  ];

  /** kubectl runs one kubectl command, bounded by `timeoutMs` and killed when `signal` aborts. */
  async function kubectl(
    args: string[],
    opts: { input?: string | undefined; signal?: AbortSignal | undefined } = {},
  ): Promise<RunResult> {
    const result = await run(bin, [...global, ...args], {
      timeoutMs,
      env,
      ...(opts.input === undefined ? {} : { input: opts.input }),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    if (result.spawnError) {
      throw new ApplyerUnavailableError(name, `cannot start ${bin}: ${result.spawnError}`);
    }
    return result;
  }

  /** failure is what a failed run says: that it was killed at its timeout, or kubectl's error lines. */
  function failure(result: RunResult, command: string): string {
    return result.timedOut
      ? `kubectl ${command} did not finish within ${formatTimeout(timeoutMs)} and was killed`
      : cleanMessage(result.stderr);
  }

  const allFailed = (objects: readonly KubeObject[], message: string): ObjectApplyResult[] =>
    objects.map((object) => ({ ...refOf(object), action: "failed", message }));

  async function applyOne(
    object: KubeObject,
    before: ReturnType<typeof objectIndex>,
    signal: AbortSignal | undefined,
  ): Promise<ObjectApplyResult> {
    const ref = refOf(object);
    const result = await kubectl(applyArgs, { input: toStream([object]), signal });
    if (result.exitCode !== 0) return { ...ref, action: "failed", message: failure(result, "apply") };
    return outcome(object, before.find(ref), objectIndex(parseItems(result.stdout)).find(ref));
  }

  async function applyPhase(
    objects: readonly KubeObject[],
    signal: AbortSignal | undefined,
  ): Promise<ObjectApplyResult[]> {
    // Objects that do not exist (or whose kind does not exist yet) are simply absent from the list.
    const live = await kubectl(
      ["get", "--ignore-not-found", "-f", "-", "-o", "json", "--show-managed-fields"],
      {
        input: toStream(objects),
        signal,
      },
    );
    if (live.timedOut) return allFailed(objects, failure(live, "get"));
    const before = objectIndex(parseItems(live.stdout));
    const batch = await kubectl(applyArgs, { input: toStream(objects), signal });
    // A killed batch may have applied some objects, but one per call would only hang again: the sync fails and
    // is retried whole.
    if (batch.timedOut) return allFailed(objects, failure(batch, "apply"));
    if (batch.exitCode === 0) {
      const after = objectIndex(parseItems(batch.stdout));
      const results = objects.map((object) => {
        const ref = refOf(object);
        const found = after.find(ref);
        return found ? outcome(object, before.find(ref), found) : undefined;
      });
      if (results.every((r) => r !== undefined)) return results as ObjectApplyResult[];
    }
    log.info(
      { applyer: name, objects: objects.length, error: cleanMessage(batch.stderr) },
      "batch apply did not succeed as a whole; applying one object per call to attribute results",
    );
    return mapLimit(objects, concurrency, (object) => applyOne(object, before, signal));
  }

  async function waitForCrds(
    crds: readonly ObjectApplyResult[],
    signal: AbortSignal | undefined,
  ): Promise<void> {
    if (crds.length === 0) return;
    const timeout = options.crdEstablishedTimeoutSeconds ?? 60;
    // kubectl's own --timeout, and `timeoutMs` for a kubectl that does not keep to it.
    const waited = await kubectl(
      [
        "wait",
        "--for=condition=Established",
        `--timeout=${timeout}s`,
        ...crds.map((crd) => `customresourcedefinition.apiextensions.k8s.io/${crd.name}`),
      ],
      { signal },
    );
    // Not fatal here: custom resources of a CRD that never became established fail with the server's reason.
    if (waited.exitCode !== 0)
      log.warn({ applyer: name, error: failure(waited, "wait") }, "CRDs not established");
  }

  // `kubectl delete` has no flag for a UID precondition, and it ignores `metadata.uid` in what `-f` reads (it
  // deleted a re-created object when tried on the test cluster). `kubectl delete --raw PATH -f -` sends the body as
  // given, so deletes go there with DeleteOptions; the REST path comes from discovery read with `kubectl get --raw`,
  // one discovery per delete call so that its reads carry that call's signal.
  const discoveryFor = (signal: AbortSignal | undefined) =>
    createDiscovery(async (_method, path) => {
      const result = await kubectl(["get", "--raw", path], { signal });
      if (result.exitCode === 0) return { status: 200, body: JSON.parse(result.stdout) as unknown };
      const message = failure(result, "get --raw");
      return { status: /\(NotFound\)/.test(message) ? 404 : 500, body: { message } };
    });

  async function deleteOne(
    { uid, ...ref }: DeleteRef,
    discovery: ReturnType<typeof discoveryFor>,
    signal: AbortSignal | undefined,
  ): Promise<ObjectDeleteResult> {
    let path: string;
    try {
      const resource = await discovery.resource(ref.apiVersion, ref.kind);
      if (!resource)
        return { ...ref, action: "not-found", message: `the server has no ${ref.kind} in ${ref.apiVersion}` };
      path = objectPath(ref.apiVersion, resource, ref.namespace, ref.name);
    } catch (error: unknown) {
      if (error instanceof ApplyerUnavailableError || signal?.aborted) throw error;
      return { ...ref, action: "failed", message: `${describeRef(ref)}: ${(error as Error).message}` };
    }
    const result = await kubectl(["delete", "--raw", path, "-f", "-"], {
      input: JSON.stringify(deleteOptions(uid)),
      signal,
    });
    if (result.exitCode === 0) return { ...ref, action: "deleted" };
    const message = failure(result, "delete --raw");
    if (/\(NotFound\)|not found/i.test(message)) return { ...ref, action: "not-found", message };
    // A failed precondition: the object was deleted and re-created since it was read.
    if (uid && /\(Conflict\)/.test(message)) return { ...ref, action: "conflict", message };
    return { ...ref, action: "failed", message };
  }

  return {
    name,
    async ensureInstalled() {
      const result = await kubectl(["version", "--client", "-o", "json"]);
      if (result.exitCode !== 0) {
        throw new ApplyerUnavailableError(name, `${bin} version failed: ${failure(result, "version")}`);
      }
    },

    async apply(objects, opts: ApplyOptions = {}): Promise<ApplyResult> {
      const { signal } = opts;
      signal?.throwIfAborted();
      const results = await applyInPhases(objects, {
        applyBatch: (batch) => applyPhase(batch, signal),
        waitEstablished: (crds) => waitForCrds(crds, signal),
      });
      return { applyer: name, objects: results };
    },

    async delete(refs, opts: ApplyOptions = {}): Promise<DeleteResult> {
      const { signal } = opts;
      signal?.throwIfAborted();
      const discovery = discoveryFor(signal);
      const objects = await mapLimit(refs, concurrency, (ref) => deleteOne(ref, discovery, signal));
      return { applyer: name, objects };
    },
  };
}

/** outcome is one object's result from the live object before the apply and the one the apply returned. */
function outcome(
  sent: KubeObject,
  before: KubeObject | undefined,
  after: KubeObject | undefined,
): ObjectApplyResult {
  const fields = takenOver(before, after, FIELD_MANAGER);
  return {
    ...refOf(sent),
    action: applyAction(before, after, sent),
    ...(fields.length > 0 ? { takenOver: fields } : {}),
  };
}

/**
 * toStream renders objects as kubectl reads them from `-f -`. A stream starting with `{` is decoded as
 * concatenated JSON, where a YAML `---` separator is a syntax error, so objects are just one per line.
 */
function toStream(objects: readonly KubeObject[]): string {
  return `${objects.map((o) => JSON.stringify(o)).join("\n")}\n`;
}

/** parseItems reads kubectl `-o json` output: one object, a List, or nothing (when every object failed). */
export function parseItems(stdout: string): KubeObject[] {
  const text = stdout.trim();
  if (text === "") return [];
  try {
    const value = JSON.parse(text) as KubeObject & { items?: KubeObject[] };
    return Array.isArray(value.items) ? value.items : [value];
  } catch {
    return [];
  }
}

/** cleanMessage keeps kubectl's error lines and drops its deprecation warnings. */
export function cleanMessage(stderr: string): string {
  const lines = stderr
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("Warning:"));
  return lines.join("\n") || stderr.trim();
}

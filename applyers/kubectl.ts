import type { Logger } from "pino";
import { createDiscovery, objectPath } from "../kube/http.js";
import { describeRef, type KubeObject, type ObjectRef, refOf } from "../kube/objects.js";
import {
  type Applyer,
  ApplyerUnavailableError,
  type ApplyResult,
  type DeleteRef,
  type DeleteResult,
  type ObjectApplyResult,
  type ObjectDeleteResult,
} from "./applyer.js";
import { applyAction } from "./change.js";
import { deleteOptions } from "./kube-api.js";
import { objectIndex } from "./object-index.js";
import { applyInPhases } from "./phases.js";
import { mapLimit, type RunCommand, type RunResult, runWithExeca } from "./run.js";
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
  run?: RunCommand;
  log: Logger;
}

const FIELD_MANAGER = "simple-gitops";

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
 */
export function createKubectlApplyer(options: KubectlApplyerOptions): Applyer {
  const { bin = "kubectl", run = runWithExeca, log, concurrency = 4 } = options;
  const name = "kubectl";
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

  async function kubectl(args: string[], input?: string): Promise<RunResult> {
    const result = await run(bin, [...global, ...args], input === undefined ? {} : { input });
    if (result.spawnError) {
      throw new ApplyerUnavailableError(name, `cannot start ${bin}: ${result.spawnError}`);
    }
    return result;
  }

  async function liveVersions(objects: readonly KubeObject[]) {
    // Objects that do not exist (or whose kind does not exist yet) are simply absent from the list.
    const result = await kubectl(
      ["get", "--ignore-not-found", "-f", "-", "-o", "json", "--show-managed-fields"],
      toStream(objects),
    );
    return objectIndex(parseItems(result.stdout));
  }

  async function applyOne(
    object: KubeObject,
    before: ReturnType<typeof objectIndex>,
  ): Promise<ObjectApplyResult> {
    const ref = refOf(object);
    const result = await kubectl(applyArgs, toStream([object]));
    if (result.exitCode !== 0) return { ...ref, action: "failed", message: cleanMessage(result.stderr) };
    return outcome(ref, before.find(ref), objectIndex(parseItems(result.stdout)).find(ref));
  }

  async function applyPhase(objects: readonly KubeObject[]): Promise<ObjectApplyResult[]> {
    const before = await liveVersions(objects);
    const batch = await kubectl(applyArgs, toStream(objects));
    if (batch.exitCode === 0) {
      const after = objectIndex(parseItems(batch.stdout));
      const results = objects.map((object) => {
        const ref = refOf(object);
        const found = after.find(ref);
        return found ? outcome(ref, before.find(ref), found) : undefined;
      });
      if (results.every((r) => r !== undefined)) return results as ObjectApplyResult[];
    }
    log.info(
      { applyer: name, objects: objects.length, error: cleanMessage(batch.stderr) },
      "batch apply did not succeed as a whole; applying one object per call to attribute results",
    );
    return mapLimit(objects, concurrency, (object) => applyOne(object, before));
  }

  async function waitForCrds(crds: readonly ObjectApplyResult[]): Promise<void> {
    if (crds.length === 0) return;
    const timeout = options.crdEstablishedTimeoutSeconds ?? 60;
    const waited = await kubectl([
      "wait",
      "--for=condition=Established",
      `--timeout=${timeout}s`,
      ...crds.map((crd) => `customresourcedefinition.apiextensions.k8s.io/${crd.name}`),
    ]);
    // Not fatal here: custom resources of a CRD that never became established fail with the server's reason.
    if (waited.exitCode !== 0)
      log.warn({ applyer: name, error: cleanMessage(waited.stderr) }, "CRDs not established");
  }

  // `kubectl delete` has no flag for a UID precondition, and it ignores `metadata.uid` in what `-f` reads (it
  // deleted a re-created object when tried on the test cluster). `kubectl delete --raw PATH -f -` sends the body as
  // given, so deletes go there with DeleteOptions; the REST path comes from discovery read with `kubectl get --raw`.
  const discovery = createDiscovery(async (_method, path) => {
    const result = await kubectl(["get", "--raw", path]);
    if (result.exitCode === 0) return { status: 200, body: JSON.parse(result.stdout) as unknown };
    const message = cleanMessage(result.stderr);
    return { status: /\(NotFound\)/.test(message) ? 404 : 500, body: { message } };
  });

  async function deleteOne({ uid, ...ref }: DeleteRef): Promise<ObjectDeleteResult> {
    let path: string;
    try {
      const resource = await discovery.resource(ref.apiVersion, ref.kind);
      if (!resource)
        return { ...ref, action: "not-found", message: `the server has no ${ref.kind} in ${ref.apiVersion}` };
      path = objectPath(ref.apiVersion, resource, ref.namespace, ref.name);
    } catch (error: unknown) {
      if (error instanceof ApplyerUnavailableError) throw error;
      return { ...ref, action: "failed", message: `${describeRef(ref)}: ${(error as Error).message}` };
    }
    const result = await kubectl(["delete", "--raw", path, "-f", "-"], JSON.stringify(deleteOptions(uid)));
    if (result.exitCode === 0) return { ...ref, action: "deleted" };
    const message = cleanMessage(result.stderr);
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
        throw new ApplyerUnavailableError(name, `${bin} version failed: ${cleanMessage(result.stderr)}`);
      }
    },

    async apply(objects): Promise<ApplyResult> {
      const results = await applyInPhases(objects, { applyBatch: applyPhase, waitEstablished: waitForCrds });
      return { applyer: name, objects: results };
    },

    async delete(refs): Promise<DeleteResult> {
      const objects = await mapLimit(refs, concurrency, deleteOne);
      return { applyer: name, objects };
    },
  };
}

/** outcome is one object's result from the live object before the apply and the one the apply returned. */
function outcome(
  ref: ObjectRef,
  before: KubeObject | undefined,
  after: KubeObject | undefined,
): ObjectApplyResult {
  const fields = takenOver(before, after, FIELD_MANAGER);
  return { ...ref, action: applyAction(before, after), ...(fields.length > 0 ? { takenOver: fields } : {}) };
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

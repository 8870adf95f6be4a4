import type { Logger } from "pino";
import { mapLimit } from "../common/map-limit.js";
import { type KubeObject, refOf } from "../kube/objects.js";
import type { ObjectApplyResult } from "./applyer.js";
import { applyAction, FIELD_MANAGER } from "./change.js";
import { cleanMessage, KUBECTL_APPLYER, type KubectlRun } from "./kubectl-run.js";
import { objectIndex } from "./object-index.js";
import { takenOver } from "./takeover.js";

const APPLY_ARGS = [
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

type ObjectIndex = ReturnType<typeof objectIndex>;

/**
 * kubectlApplyBatch applies one phase's objects with kubectl: the live objects are read first (one `kubectl get`),
 * then the whole batch is applied in one call, and each result compares the two. When the batch fails, kubectl
 * prints no objects and its aggregated error cannot be attributed, so the objects are applied again one per call,
 * `concurrency` at a time, each getting its own result; a batch killed at its timeout is not.
 */
export async function kubectlApplyBatch(
  kubectl: KubectlRun,
  objects: readonly KubeObject[],
  opts: { log: Logger; concurrency: number; signal: AbortSignal | undefined },
): Promise<ObjectApplyResult[]> {
  const { signal } = opts;
  // Objects that do not exist (or whose kind does not exist yet) are simply absent from the list.
  const live = await kubectl.run(
    ["get", "--ignore-not-found", "-f", "-", "-o", "json", "--show-managed-fields"],
    {
      input: toStream(objects),
      signal,
    },
  );
  if (live.timedOut) return allFailed(objects, kubectl.failure(live, "get"));
  const before = objectIndex(parseItems(live.stdout));
  const batch = await kubectl.run(APPLY_ARGS, { input: toStream(objects), signal });
  // A killed batch may have applied some objects, but one per call would only hang again: the sync fails and
  // is retried whole.
  if (batch.timedOut) return allFailed(objects, kubectl.failure(batch, "apply"));
  if (batch.exitCode === 0) {
    const results = batchResults(objects, before, objectIndex(parseItems(batch.stdout)));
    if (results) return results;
  }
  opts.log.info(
    { applyer: KUBECTL_APPLYER, objects: objects.length, error: cleanMessage(batch.stderr) },
    "batch apply did not succeed as a whole; applying one object per call to attribute results",
  );
  return mapLimit(objects, opts.concurrency, (object) => applyOne(kubectl, object, before, signal));
}

/** batchResults is each object's result from a batch apply, or undefined when the batch left one out. */
function batchResults(
  objects: readonly KubeObject[],
  before: ObjectIndex,
  after: ObjectIndex,
): ObjectApplyResult[] | undefined {
  const results: ObjectApplyResult[] = [];
  for (const object of objects) {
    const ref = refOf(object);
    const found = after.find(ref);
    if (!found) return undefined;
    results.push(outcome(object, before.find(ref), found));
  }
  return results;
}

/** applyOne applies one object in its own kubectl call, so its result and the server's message are its own. */
async function applyOne(
  kubectl: KubectlRun,
  object: KubeObject,
  before: ObjectIndex,
  signal: AbortSignal | undefined,
): Promise<ObjectApplyResult> {
  const ref = refOf(object);
  const result = await kubectl.run(APPLY_ARGS, { input: toStream([object]), signal });
  if (result.exitCode !== 0) return { ...ref, action: "failed", message: kubectl.failure(result, "apply") };
  return outcome(object, before.find(ref), objectIndex(parseItems(result.stdout)).find(ref));
}

const allFailed = (objects: readonly KubeObject[], message: string): ObjectApplyResult[] =>
  objects.map((object) => ({ ...refOf(object), action: "failed", message }));

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
function parseItems(stdout: string): KubeObject[] {
  const text = stdout.trim();
  if (text === "") return [];
  try {
    const value = JSON.parse(text) as KubeObject & { items?: KubeObject[] };
    return Array.isArray(value.items) ? value.items : [value];
  } catch {
    return [];
  }
}

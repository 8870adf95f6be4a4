import yaml from "js-yaml";
import { KubeConfigError } from "../kube/kubeconfig.js";
import { describeRef, type KubeObject, refOf } from "../kube/objects.js";
import type { Applyer, ApplyOptions, DeleteRef, ObjectApplyResult } from "./applyer.js";
import type { ObjectDiff, ServerDiff } from "./server-diff.js";

/** DRY_RUN_COMPARE_MS bounds comparing one set with the cluster: a dry run against an unreachable one still ends. */
export const DRY_RUN_COMPARE_MS = 30_000;

/** DryRunOptions say how a dry run learns what applying would do. */
export interface DryRunOptions {
  /** compare is the server-side dry run (`--diff`'s); without it, nothing is compared. */
  readonly compare?: ServerDiff;
  readonly compareTimeoutMs?: number;
}

/**
 * createDryRunApplyer sends nothing: it writes each object it is given as a YAML document (and each delete as a
 * comment) to `write`, so `--dry-run` shows exactly what would be applied, after rendering. What it reports per
 * object is what applying would do: with `compare` and a cluster, the server-side dry run's answer (`created`,
 * `configured`, `unchanged`), as `kubectl apply --dry-run=server` says; without a cluster, or for an object that
 * could not be compared, `would-apply` with why, never a guess. Every delete is reported `deleted`, so the rest of
 * the loop runs as it would for real.
 */
export function createDryRunApplyer(write: (text: string) => void, options: DryRunOptions = {}): Applyer {
  const { compare, compareTimeoutMs = DRY_RUN_COMPARE_MS } = options;
  return {
    name: "dry-run",
    async ensureInstalled() {},
    async apply(objects: readonly KubeObject[], opts: ApplyOptions = {}) {
      for (const object of objects) write(`---\n${yaml.dump(object, { lineWidth: -1, noRefs: true })}`);
      const results = compare
        ? await wouldDo(objects, compare, AbortSignal.timeout(compareTimeoutMs), opts.signal)
        : uncompared(objects, "not compared with a cluster");
      return { applyer: "dry-run", objects: results };
    },
    async delete(refs: readonly DeleteRef[]) {
      for (const ref of refs)
        write(`# dry run: would delete ${describeRef(ref)}${ref.uid ? ` (uid ${ref.uid})` : ""}\n`);
      return {
        applyer: "dry-run",
        objects: refs.map(({ uid: _uid, ...ref }) => ({ ...ref, action: "deleted" as const })),
      };
    },
  };
}

/** wouldDo asks the cluster what applying each object would do, and says so when it cannot tell. */
async function wouldDo(
  objects: readonly KubeObject[],
  compare: ServerDiff,
  bound: AbortSignal,
  signal: AbortSignal | undefined,
): Promise<ObjectApplyResult[]> {
  let diffs: ObjectDiff[];
  try {
    diffs = await compare.diff(objects, { signal: signal ? AbortSignal.any([signal, bound]) : bound });
  } catch (error: unknown) {
    signal?.throwIfAborted();
    if (error instanceof KubeConfigError)
      return uncompared(objects, "no cluster to compare with (no kubeconfig)");
    if (bound.aborted) return uncompared(objects, "the cluster did not answer in time");
    return uncompared(objects, `not compared: ${(error as Error).message}`);
  }
  return diffs.map(({ live: _live, merged: _merged, ...diff }) =>
    diff.action === "failed"
      ? { ...diff, action: "would-apply", message: `dry run: not compared: ${diff.message ?? "no answer"}` }
      : { ...diff, message: `dry run: ${diff.message ?? "the server's answer"}` },
  );
}

function uncompared(objects: readonly KubeObject[], why: string): ObjectApplyResult[] {
  return objects.map((object) => ({ ...refOf(object), action: "would-apply", message: `dry run: ${why}` }));
}

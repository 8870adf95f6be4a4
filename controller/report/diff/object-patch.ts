import { createTwoFilesPatch, FILE_HEADERS_ONLY } from "diff";
import yaml from "js-yaml";
import type { ObjectDiff } from "../../../applyers/server-diff.js";
import type { KubeObject, ObjectRef } from "../../../kube/objects.js";
import { comparable } from "./comparable.js";
import { maskSecretPair } from "./mask.js";

/**
 * ObjectPatch is how one compared object is shown: `differs` says whether it counts as a difference (it would be
 * created or changed, or it could not be compared); `patch` is its unified diff for stdout, `error` the line saying
 * why it could not be compared, and `note` a remark on how it was, both for stderr.
 */
export interface ObjectPatch {
  readonly differs: boolean;
  readonly patch?: string;
  readonly error?: string;
  readonly note?: string;
}

/** objectLabel names an object in a diff header: `apps/v1/Deployment/shop/web`, `v1/Namespace/shop`. */
export function objectLabel(ref: ObjectRef): string {
  return [ref.apiVersion, ref.kind, ...(ref.namespace ? [ref.namespace] : []), ref.name].join("/");
}

/** toYaml renders one side of a diff: keys sorted, so the order fields were written in never shows as a change. */
export function toYaml(object: KubeObject | undefined): string {
  return object ? yaml.dump(object, { sortKeys: true, noRefs: true, lineWidth: -1 }) : "";
}

/**
 * objectPatch renders a compared object as a unified diff from the live object (`--- live/…`) to what applying git
 * would make of it (`+++ git/…`), bookkeeping aside and Secret values masked; an object that would be created is
 * all `+`. An object the server calls configured whose shown fields are all equal (only bookkeeping moved) is not
 * a difference.
 */
export function objectPatch(diff: ObjectDiff): ObjectPatch {
  const label = objectLabel(diff);
  const note = diff.message && diff.action !== "failed" ? { note: `# ${label}: ${diff.message}` } : {};
  if (diff.action === "failed") return { differs: true, error: `# ${label}: ${diff.message ?? "failed"}` };
  if (diff.action === "unchanged") return { differs: false };
  const [live, git] = maskSecretPair(
    diff.action === "created" || !diff.live ? undefined : comparable(diff.live),
    diff.merged && comparable(diff.merged),
  );
  const before = toYaml(live);
  const after = toYaml(git);
  if (before === after) return { differs: false, ...note };
  const patch = createTwoFilesPatch(`live/${label}`, `git/${label}`, before, after, undefined, undefined, {
    context: 3,
    headerOptions: FILE_HEADERS_ONLY,
  });
  return { differs: true, patch, ...note };
}

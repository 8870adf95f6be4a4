import type { KubeObject } from "../../../kube/objects.js";

/** SECRET_MASK stands for a Secret value that is the same on both sides, or present on one side only. */
export const SECRET_MASK = "***";
/** SECRET_MASK_BEFORE and SECRET_MASK_AFTER stand for a Secret value that differs between live and git. */
export const SECRET_MASK_BEFORE = "*** (before)";
export const SECRET_MASK_AFTER = "*** (after)";

const SECRET_FIELDS = ["data", "stringData"] as const;

/** isSecret says whether an object is a core Secret, whose `data` and `stringData` must never be shown. */
export function isSecret(object: KubeObject | undefined): boolean {
  return object?.apiVersion === "v1" && object.kind === "Secret";
}

/**
 * maskSecretPair replaces every value of a Secret's `data` and `stringData` on both sides of a diff, as fluxcd/pkg
 * `ssa/jsondiff/mask.go` does: a value that differs becomes `*** (before)` and `*** (after)`, any other `***`. The
 * keys stay, so an added, removed or changed key still shows, and nothing of a value (nor its base64) is left.
 * Objects that are not Secrets are returned as they are; the inputs are never changed.
 */
export function maskSecretPair(
  live: KubeObject | undefined,
  git: KubeObject | undefined,
): [KubeObject | undefined, KubeObject | undefined] {
  if (!isSecret(live) && !isSecret(git)) return [live, git];
  const before = live && structuredClone(live);
  const after = git && structuredClone(git);
  for (const field of SECRET_FIELDS) {
    const from = mapOf(before?.[field]);
    const to = mapOf(after?.[field]);
    if (before && from) before[field] = maskValues(from, to, SECRET_MASK_BEFORE);
    if (after && to) after[field] = maskValues(to, from, SECRET_MASK_AFTER);
    // A value that is not a map (a malformed Secret) is masked whole.
    if (before && before[field] !== undefined && !from) before[field] = SECRET_MASK;
    if (after && after[field] !== undefined && !to) after[field] = SECRET_MASK;
  }
  return [before, after];
}

/** maskValues masks every value of `side`: `changed` where `other` has the key with another value, else `***`. */
function maskValues(
  side: Record<string, unknown>,
  other: Record<string, unknown> | undefined,
  changed: string,
): Record<string, string> {
  return Object.fromEntries(
    Object.keys(side).map((key) => [
      key,
      other !== undefined && Object.hasOwn(other, key) && other[key] !== side[key] ? changed : SECRET_MASK,
    ]),
  );
}

function mapOf(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

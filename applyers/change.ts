import type { KubeObject } from "../kube/objects.js";
import type { ApplyAction } from "./applyer.js";

/**
 * applyAction says what an apply did from the live object before and the object the apply returned. It compares
 * everything except status and server bookkeeping, not resourceVersions: controllers write status all the time
 * (a Deployment's rollout bumps its resourceVersion with no change from us), which would report a no-op apply as
 * `configured`.
 */
export function applyAction(
  before: KubeObject | undefined,
  after: KubeObject | undefined,
): Extract<ApplyAction, "created" | "configured" | "unchanged"> {
  if (!before) return "created";
  if (!after) return "configured";
  return JSON.stringify(comparable(before)) === JSON.stringify(comparable(after))
    ? "unchanged"
    : "configured";
}

function comparable(object: KubeObject): unknown {
  const { status: _status, metadata, ...rest } = object;
  const { resourceVersion: _rv, managedFields: _mf, generation: _gen, ...meta } = metadata;
  return sortKeys({ ...rest, metadata: meta });
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
  );
}

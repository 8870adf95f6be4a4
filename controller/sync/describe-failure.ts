import type { ObjectApplyResult, ObjectDeleteResult } from "../../applyers/applyer.js";
import type { FileFailure } from "../desired/files.js";
import { describeRef, type ObjectRef } from "../desired/render/types.js";
import type { ObjectHealth } from "../health/health.js";
import { describeUnhealthy } from "../health/health-check.js";

/** objectFailures names, per file of git, each object that did not land and each workload that is not healthy. */
export function objectFailures(
  notLanded: readonly ObjectApplyResult[],
  unhealthy: readonly ObjectHealth[],
  pathOf: (ref: ObjectRef) => string,
): FileFailure[] {
  return [
    ...notLanded.map((object) => ({
      path: pathOf(object),
      error: `${describeRef(object)}${object.action === "skipped" ? " skipped" : ""}: ${object.message ?? object.action}`,
    })),
    ...unhealthy.map((health) => ({ path: pathOf(health), error: describeUnhealthy(health) })),
  ];
}

/**
 * describeFailure is the service's error: every file that could not be used, every object that did not land, every
 * unhealthy workload and every failed prune, each named. The code says what kind of failure came first.
 */
export function describeFailure(
  setFailures: readonly FileFailure[],
  notLanded: readonly ObjectApplyResult[],
  unhealthy: readonly ObjectHealth[],
  pruneFailed: readonly ObjectDeleteResult[],
  objectFailures: readonly FileFailure[],
): { code: string; message: string } {
  const parts = [
    ...[...setFailures, ...objectFailures].map((failure) => `${failure.path}: ${failure.error}`),
    ...pruneFailed.map((object) => `prune ${describeRef(object)}: ${object.message ?? "failed"}`),
  ];
  const code =
    setFailures.find((failure) => failure.code)?.code ??
    (setFailures.length > 0
      ? "E_MANIFEST_INVALID"
      : notLanded.length > 0
        ? "E_APPLY"
        : unhealthy.length > 0
          ? "E_UNHEALTHY"
          : "E_PRUNE");
  return { code, message: parts.join("; ") };
}

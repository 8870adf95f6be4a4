import type { ServiceState, Trigger } from "../record/state/state.js";
import type { ServiceFiles } from "../source/source.js";

/** isForced is true for what applies a service's whole set even when git did not change: a person, a reconcile. */
export function isForced(trigger: Trigger): boolean {
  return trigger === "manual" || trigger === "reconcile";
}

/**
 * needsApply says whether a service's set must be applied now that its directory was read at the head. A source
 * error (GitHub could not be read) applied nothing, so once the set is read again unchanged there is nothing to redo.
 */
export function needsApply(files: ServiceFiles, state: ServiceState, trigger: Trigger): boolean {
  const applyFailed = state.lastError !== undefined && !isSourceError(state.lastError.code);
  return files.changed || state.commit === undefined || applyFailed || isForced(trigger);
}

/** isSourceError is true for the codes of a source failure: git was not read, nothing was applied. */
export function isSourceError(code: string): boolean {
  return code.startsWith("E_SOURCE_");
}

/** isSourceErrorOnly: the service's landed commit is the head and all that stands against it is a source error. */
export function isSourceErrorOnly(state: ServiceState, head: string): boolean {
  return state.commit === head && state.lastError !== undefined && isSourceError(state.lastError.code);
}

import type { ServiceConfig } from "../config/types.js";
import type { ServiceState, Trigger } from "../record/state/state.js";
import type { KnownState } from "../source/source.js";

/**
 * heldCommit names the failed commit a poll must not apply yet: the service's last sync of it failed and its backoff
 * has not run out. Only that commit waits; the poll still reads the head, and a commit that moved it is applied at
 * once (Flux reconciles a new revision whatever its retry interval). A person or a webhook does not wait either.
 * A commit the controller rolled back (`on_failure: rollback`) waits for good: only a person's manual sync tries it
 * again, or a new head replaces it.
 */
export function heldCommit(state: ServiceState, trigger: Trigger, now: number): string | undefined {
  const rolledBack = state.rolledBack?.failedCommit;
  if (rolledBack !== undefined && trigger !== "manual" && trigger !== "rollback") return rolledBack;
  if (trigger !== "poll" || state.retryAfter === undefined || Date.parse(state.retryAfter) <= now)
    return undefined;
  return state.lastError?.commit;
}

/**
 * attemptNote says why a commit is applied when it is not the service's landed set again: a rollback, a retry of
 * the commit that failed, or a new head (replacing a failed commit, when one is standing). Undefined for a re-apply
 * of the landed commit (a reconcile, a manual sync).
 */
export function attemptNote(state: ServiceState, commit: string, trigger: Trigger): string | undefined {
  const failed = state.lastError?.commit;
  if (trigger === "rollback") {
    const from = commit === state.commit && failed !== undefined ? `failed commit ${failed}` : state.commit;
    return `rollback to commit ${commit}, from ${from ?? "no landed commit"}`;
  }
  if (failed === commit)
    return trigger === "poll"
      ? `retry of commit ${commit} after backoff`
      : `retry of commit ${commit} (${trigger})`;
  if (commit === state.commit) return undefined;
  return failed === undefined
    ? `new head ${commit}`
    : `new head ${commit}, replacing failed commit ${failed}`;
}

/**
 * knownForPoll is what a poll tells the source each service already has, and the failed commit each service holds
 * back. A held commit counts as known: while it is still the head the poll is one 304 and reads nothing, and once
 * the head moved the files are still compared with the landed set.
 */
export function knownForPoll(
  chosen: readonly { readonly service: Pick<ServiceConfig, "name">; readonly trigger: Trigger }[],
  stateOf: (name: string) => ServiceState,
  now: number,
): { known: Record<string, KnownState>; held: Record<string, string> } {
  const known: Record<string, KnownState> = {};
  const held: Record<string, string> = {};
  for (const { service, trigger } of chosen) {
    const state = stateOf(service.name);
    const failed = heldCommit(state, trigger, now);
    if (failed !== undefined) held[service.name] = failed;
    const commit = failed ?? state.commit;
    known[service.name] = commit ? { commit, files: state.files } : { files: state.files };
  }
  return { known, held };
}

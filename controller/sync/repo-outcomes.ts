import { GitOpsError } from "../../common/errors.js";
import { withFailure } from "../record/next-state.js";
import type { SyncResult } from "../record/result.js";
import type { ServiceState } from "../record/state/state.js";
import { isSourceError } from "./needs-apply.js";
import type { ChosenService, RepoRun, ServiceOutcome } from "./repo-run.js";
import { syncResultBase } from "./result-base.js";

/** unchangedResult says a service's set at `commit` needed nothing applied. */
export function unchangedResult(run: RepoRun, chosen: ChosenService, commit: string): SyncResult {
  return { ...resultOf(run, chosen), commit, status: "unchanged" };
}

/**
 * clearedSourceError records a service whose landed set is what git holds at the head: an unchanged result, at the
 * head, with any source error cleared; the status follows the truth without applying anything again. A rollback
 * ends there too when the head moved: git holds the restored set again (a revert of the failed change).
 */
export function clearedSourceError(
  run: RepoRun,
  chosen: ChosenService,
  commit: string,
  state: ServiceState,
): ServiceOutcome {
  const cleared =
    state.lastError !== undefined && isSourceError(state.lastError.code)
      ? { failures: 0, lastError: undefined, retryAfter: undefined }
      : {};
  const moved = state.commit !== commit ? { rolledBack: undefined } : {};
  return { result: unchangedResult(run, chosen, commit), state: { ...state, commit, ...cleared, ...moved } };
}

/** failedOutcome records a service's failure, at `commit` when it is known, with its next retry. */
export function failedOutcome(
  run: RepoRun,
  chosen: ChosenService,
  state: ServiceState,
  error: { code: string; message: string },
  commit?: string,
): ServiceOutcome {
  const result: SyncResult = {
    ...resultOf(run, chosen),
    ...(commit ? { commit } : {}),
    status: "failed",
    error,
  };
  return { result, state: withFailure(state, result, run.deps) };
}

/** describeError keeps an error's stable code and message: what the SyncResult and the state record. */
export function describeError(error: unknown): { code: string; message: string } {
  return {
    code: error instanceof GitOpsError ? error.code : "E_INTERNAL",
    message: (error as Error).message,
  };
}

function resultOf(run: RepoRun, chosen: ChosenService) {
  return syncResultBase({ ...chosen, repo: run.input.repo }, run.started, run.deps);
}

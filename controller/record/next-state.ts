import { landed, type ObjectApplyResult, type ObjectDeleteResult } from "../../applyers/applyer.js";
import type { Clock } from "../../common/clock.js";
import { refKey } from "../../kube/objects.js";
import type { DesiredFile } from "../desired/files.js";
import { nextInventory } from "../prune/inventory.js";
import { historyEntry, withHistory } from "./history.js";
import type { SyncResult } from "./result.js";
import type { AddedByFailure, ObjectStatus, ServiceState, Trigger } from "./state/state.js";

const MAX_BACKOFF_MS = 10 * 60_000;

/**
 * landedState records a sync whose whole set landed and is healthy: its commit and file SHAs become the known
 * state, the error and backoff are cleared, and the deploy time moves when something was created, changed or
 * pruned, or when the set lands at a new commit or after a failure (a retry that found everything already applied
 * still landed then). A set landing at a new commit goes first in the service's history, and ends a rollback.
 */
export function landedState(
  state: ServiceState,
  input: {
    readonly commit: string;
    readonly files: readonly Pick<DesiredFile, "path" | "sha">[];
    readonly objects: readonly ObjectStatus[];
    readonly pruned: readonly ObjectDeleteResult[];
    readonly now: number;
    readonly trigger: Trigger;
    /** The paths the commit added, changed or deleted compared with the landed set. */
    readonly changed: readonly string[];
  },
): ServiceState {
  const deployed =
    input.objects.some((object) => object.action === "created" || object.action === "configured") ||
    input.pruned.some((object) => object.action === "deleted") ||
    state.commit !== input.commit ||
    state.lastError !== undefined;
  const entry = historyEntry({ ...input, objects: input.objects.length, files: input.changed });
  return {
    ...withHistory(state, entry),
    rolledBack: undefined,
    addedByFailures: undefined,
    commit: input.commit,
    files: Object.fromEntries(input.files.map((file) => [file.path, file.sha])),
    inventory: nextInventory({ previous: state.inventory, applied: input.objects, deleted: input.pruned }),
    objects: input.objects,
    failures: 0,
    lastError: undefined,
    retryAfter: undefined,
    ...(deployed ? { lastDeployTime: new Date(input.now).toISOString() } : {}),
  };
}

/**
 * attemptedState keeps what a failed sync did to the cluster: objects it applied join the inventory (they are ours
 * now, and a later prune must find them), and their actions are shown; the commit and files stay those of the last
 * landed set, so the next poll tries the whole set again. What joined the inventory is noted in `addedByFailures`,
 * created or found, for a rollback to undo.
 */
export function attemptedState(
  state: ServiceState,
  applied: readonly ObjectApplyResult[],
  objects: readonly ObjectStatus[],
): ServiceState {
  const owned = new Set(state.inventory.map(refKey));
  const added = applied
    .filter((object) => landed(object) && !owned.has(refKey(object)))
    .map(
      ({ apiVersion, kind, namespace, name, action }): AddedByFailure => ({
        apiVersion,
        kind,
        ...(namespace ? { namespace } : {}),
        name,
        created: action === "created",
      }),
    );
  return {
    ...state,
    inventory: nextInventory({ previous: state.inventory, applied }),
    objects,
    ...(added.length > 0 ? { addedByFailures: [...(state.addedByFailures ?? []), ...added] } : {}),
  };
}

/**
 * withFailure records a failed sync: the error, and when to try again (exponential backoff, capped). The backoff
 * belongs to the failing commit: a new commit that fails starts again from the first delay instead of inheriting
 * the grown wait of the one it replaced.
 */
export function withFailure(
  state: ServiceState,
  result: Pick<SyncResult, "error" | "commit">,
  deps: { clock: Clock; retryBaseMs: number },
): ServiceState {
  const previous = state.lastError?.commit;
  const newCommit = previous !== undefined && result.commit !== undefined && previous !== result.commit;
  const failures = newCommit ? 1 : state.failures + 1;
  const delay = Math.min(deps.retryBaseMs * 2 ** (failures - 1), MAX_BACKOFF_MS);
  const now = deps.clock.now();
  return {
    ...state,
    failures,
    retryAfter: new Date(now + delay).toISOString(),
    lastError: {
      code: result.error?.code ?? "E_SYNC",
      message: result.error?.message ?? "sync failed",
      at: new Date(now).toISOString(),
      ...(result.commit ? { commit: result.commit } : {}),
    },
  };
}

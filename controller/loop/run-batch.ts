import type { SyncResult } from "../record/result.js";
import { type Loop, loadState } from "./loop-state.js";
import { syncRepos } from "./sync-repos.js";
import type { SyncRequest } from "./sync-request.js";

/**
 * runBatch runs one batch of requests. A follower applies nothing and only reads what the leader recorded; a
 * leader starts from the stored state when its copy may be stale (and a controller sharing the services out with
 * others, every run), and a run aborted (Lease lost, shutting down) ends without results: what it had not recorded
 * is synced again.
 */
export async function runBatch(
  loop: Loop,
  batch: readonly SyncRequest[],
  includeScheduled: boolean,
): Promise<SyncResult[]> {
  const { deps, state } = loop;
  if (deps.isLeader && !deps.isLeader()) {
    // A follower applies nothing, but keeps its status API current with what the leader records.
    await loop.recorder
      .load()
      .catch((error: unknown) => deps.log.warn({ err: error }, "follower: cannot read the state"));
    // Another process writes the state while this one follows, so this copy goes stale at once.
    state.stateFresh = false;
    return [];
  }
  // Just became the leader, or given services: start from what their last owner recorded, not from a stale copy.
  if (!state.stateFresh) await loadState(loop);
  // Others write the state too while the services are shared out: the next run reads their records again.
  if (deps.gate && !deps.gate.alone()) state.stateFresh = false;
  state.firstSyncStarted = true;
  const aborter = new AbortController();
  state.inFlight = aborter;
  try {
    return await syncRepos(loop, batch, includeScheduled, aborter.signal);
  } catch (error: unknown) {
    if (!aborter.signal.aborted) throw error;
    deps.log.warn(
      { reason: (aborter.signal.reason as Error).message },
      "sync aborted; what it had not recorded will be synced again",
    );
    return [];
  } finally {
    state.inFlight = undefined;
  }
}

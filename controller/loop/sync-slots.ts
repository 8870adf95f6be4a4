import { createLimiter } from "../sync/limiter.js";
import type { RepoSyncDeps } from "../sync/repo-sync.js";
import { createServicePool } from "../sync/service-pool.js";
import type { Loop } from "./loop-state.js";

/** POLL_CONCURRENCY bounds how many repositories' reads (head, tree, blobs) are in flight at the same time. */
export const POLL_CONCURRENCY = 8;

/**
 * syncSlots are the bounds a round of a run syncs within: at most POLL_CONCURRENCY repositories read at once, and
 * their services' parts in the one pool of service syncs, whatever repository they come from. Both let go of a run
 * aborted meanwhile: what waits for a slot rejects with the abort's reason.
 */
export function syncSlots(
  loop: Loop,
  signal: AbortSignal,
): Required<Pick<RepoSyncDeps, "inReadSlot" | "inServiceSlot">> {
  const reads = createLimiter(() => POLL_CONCURRENCY);
  const pool = loop.deps.servicePool ?? createServicePool({ clock: loop.deps.clock });
  return {
    inReadSlot: (read) => reads.run(read, signal),
    inServiceSlot: (part) => pool.run(part, signal),
  };
}

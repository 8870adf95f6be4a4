import { createLimiter } from "../sync/limiter.js";
import type { RepoSyncDeps } from "../sync/repo-sync.js";
import { createServicePool, type ServicePool } from "../sync/service-pool.js";
import type { Loop } from "./loop-state.js";

/** POLL_CONCURRENCY bounds how many repositories' reads (head, tree, blobs) are in flight at the same time. */
export const POLL_CONCURRENCY = 8;

// The pool belongs with the controller's collaborators; controller-deps.ts is being reworked meanwhile, so the
// field is declared here until it moves there.
declare module "./controller-deps.js" {
  interface ControllerDeps {
    /**
     * servicePool is the pool of service syncs shared by every run, sized by the apiserver's answers (main feeds it
     * the answers of the syncs' requests); without it, each run gets a pool that stays at its start size.
     */
    readonly servicePool?: ServicePool;
  }
}

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

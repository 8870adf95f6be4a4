import type { Clock } from "../../common/clock.js";
import type { RepoConfig, ServiceConfig } from "../config/types.js";
import { resultBase, type SyncResult } from "../record/result.js";
import type { Trigger } from "../record/state/state.js";

/** syncResultBase is what a service's SyncResult starts from, timed from `started` until now. */
export function syncResultBase(
  of: { readonly service: Pick<ServiceConfig, "name">; readonly repo: RepoConfig; readonly trigger: Trigger },
  started: number,
  deps: { readonly dryRun: boolean; readonly clock: Clock },
): Omit<SyncResult, "status" | "commit"> {
  return resultBase({
    service: of.service.name,
    repo: of.repo,
    trigger: of.trigger,
    dryRun: deps.dryRun,
    started,
    now: deps.clock.now(),
  });
}

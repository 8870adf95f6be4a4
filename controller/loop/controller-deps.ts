import type { Logger } from "pino";
import type { Applyer } from "../../applyers/applyer.js";
import type { Clock, CronScheduler, Timers } from "../../common/clock.js";
import type { Config } from "../config/types.js";
import type { ReleaseProbe } from "../desired/release-probe.js";
import type { KubeObject, ObjectRef } from "../desired/render/types.js";
import type { RecorderDeps } from "../record/recorder.js";
import type { SyncResult } from "../record/result.js";
import type { StateStore } from "../record/state/store.js";
import type { Source } from "../source/source.js";
import type { SyncStart } from "../sync/repo-sync.js";
import type { ServicePool } from "../sync/service-pool.js";
import type { ServiceSyncDeps } from "../sync/service-sync.js";

/**
 * WorkGate says which services this controller may sync now, when the services are shared out between several
 * (controller/fleet). A service it does not work on is neither synced, nor recorded, nor answered for.
 */
export interface WorkGate {
  works(service: string): boolean;
  /** current is false while this controller may not act for any service (it does not hold its membership). */
  current(): boolean;
  /** alone is true while no other controller writes the state, so the copy in memory stays what is stored. */
  alone(): boolean;
  /** ownerOf names the member a service is assigned to, for a refusal that says whom to ask. */
  ownerOf(service: string): string | undefined;
}

/** ControllerDeps are the controller's collaborators; every side effect comes in through here. */
export interface ControllerDeps {
  readonly config: Config;
  readonly source: Source;
  readonly applyer: Applyer;
  readonly store: StateStore;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly cron?: CronScheduler;
  readonly log: Logger;
  readonly dryRun?: boolean;
  readonly readObject?: (ref: ObjectRef) => Promise<KubeObject | undefined>;
  /** listPods lists a workload's pods, to say why it is not healthy (see ServiceSyncDeps). */
  readonly listPods?: ServiceSyncDeps["listPods"];
  /** listCustomResources says what still uses a CRD prune would delete (see ServiceSyncDeps). */
  readonly listCustomResources?: ServiceSyncDeps["listCustomResources"];
  readonly healthTimeoutMs?: number;
  /** dryRunApply is a server-side dry-run apply, for `drift: report` (see ServiceSyncDeps). */
  readonly dryRunApply?: ServiceSyncDeps["dryRunApply"];
  /** isLeader gates applying: a follower serves status but never syncs. Default: always the leader. */
  readonly isLeader?: () => boolean;
  /**
   * servicePool is the pool of service syncs shared by every run, sized by the apiserver's answers (main feeds it
   * the answers of the syncs' requests); without it, each run gets a pool that stays at its start size.
   */
  readonly servicePool?: ServicePool;
  /** gate shares the services out when several controllers work side by side (`sharding`); without it, all are ours. */
  readonly gate?: WorkGate;
  /** installNamespace is the controller's own namespace: git may not touch the install's objects there. */
  readonly installNamespace?: string;
  /** listeners hear every SyncResult after it is recorded: notifications, metrics. They must not throw. */
  readonly listeners?: readonly ((result: SyncResult) => void)[];
  /**
   * onSuspension hears whether a service is suspended: every service after each load of the state, and one service
   * whenever a suspend, resume or rollback changes it (metrics). It must not throw.
   */
  readonly onSuspension?: (service: string, suspended: boolean) => void;
  /** onSuspensionChange hears a person's suspend or resume once saved (see RecorderDeps). It must not throw. */
  readonly onSuspensionChange?: RecorderDeps["onSuspensionChange"];
  /** onSyncStart hears each service's sync of a commit begin, before its result (commit statuses). Must not throw. */
  readonly onSyncStart?: (start: SyncStart) => void;
  /** onPoll hears the outcome of each repository's poll, for metrics. It must not throw. */
  readonly onPoll?: (outcome: {
    repoKey: string;
    status: "changed" | "unchanged" | "failed";
    durationMs: number;
  }) => void;
  /** releaseProbe decides `stateless: auto` (see render-set.ts); without it such services are applied as written. */
  readonly releaseProbe?: ReleaseProbe;
  /** random for the poll jitter; injected so tests are exact. */
  readonly random?: () => number;
}

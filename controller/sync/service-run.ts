import type { Logger } from "pino";
import type { Applyer, ObjectApplyResult } from "../../applyers/applyer.js";
import type { Clock } from "../../common/clock.js";
import type { CustomResourceLister } from "../../kube/list-custom-resources.js";
import type { PodLister } from "../../kube/list-pods.js";
import type { RepoConfig, ServiceConfig } from "../config/types.js";
import type { ParseCache } from "../desired/desired-set.js";
import type { KustomizeOptions } from "../desired/kustomize/build.js";
import type { ReleaseProbe } from "../desired/release-probe.js";
import type { KubeObject, ObjectRef } from "../desired/render/types.js";
import type { ServiceState, Trigger } from "../record/state/state.js";
import type { ServiceFiles } from "../source/source.js";

/** ServiceSyncDeps are the collaborators and settings shared by every service's sync. */
export interface ServiceSyncDeps {
  readonly applyer: Applyer;
  /**
   * readObject reads a live object, for the health check and before every prune; without it, health is not waited
   * for and nothing is pruned.
   */
  readonly readObject?: (ref: ObjectRef) => Promise<KubeObject | undefined>;
  /** listPods lists a workload's pods, to say why it is not healthy; without it only its conditions are given. */
  readonly listPods?: PodLister;
  /** listCustomResources says what still uses a CRD prune would delete (see pruneSet); without it, nothing is held. */
  readonly listCustomResources?: CustomResourceLister;
  readonly healthTimeoutMs: number;
  readonly prune: boolean;
  readonly namespaces?: readonly string[];
  readonly clusterKinds?: readonly string[];
  /** installNamespace is the controller's own namespace (see RenderSetOptions). */
  readonly installNamespace?: string;
  readonly downloadBaseUrl?: string;
  readonly dryRun: boolean;
  /** retryBaseMs is the first retry delay after a failure; it doubles with each failure, up to 10 minutes. */
  readonly retryBaseMs: number;
  readonly parseCache: ParseCache;
  /** kustomize is how a service whose directory holds a kustomization is built. */
  readonly kustomize?: KustomizeOptions;
  /**
   * dryRunApply is a server-side dry-run apply of a set, per object `created`, `configured` or `unchanged` as the
   * real apply would be: how `drift: report` finds drift without changing anything. Without it, report mode
   * reports nothing and says so in the log.
   */
  readonly dryRunApply?: (objects: readonly KubeObject[]) => Promise<readonly ObjectApplyResult[]>;
  readonly clock: Clock;
  readonly log: Logger;
  /**
   * signal aborts the sync before its next write: leadership was lost, or the process is shutting down. An aborted
   * sync rejects with the signal's reason and must not be recorded.
   */
  readonly signal?: AbortSignal;
  /**
   * ownerOf names the other service that already holds an object (in its inventory), and the file it came from:
   * an object belongs to one service, so a second one declaring it fails instead of applying over it.
   */
  readonly ownerOf?: (ref: ObjectRef) => { readonly service: string; readonly path?: string } | undefined;
  /** releaseProbe decides whether a `stateless: auto` service gets the bootstrap (see render-set.ts). */
  readonly releaseProbe?: ReleaseProbe;
}

/** ServiceSyncInput is one service's whole desired set at one commit, and what was deployed before. */
export interface ServiceSyncInput {
  readonly service: ServiceConfig;
  readonly repo: RepoConfig;
  readonly commit: string;
  readonly files: ServiceFiles;
  readonly state: ServiceState;
  readonly trigger: Trigger;
  /**
   * remove are inventory objects deleted when the set lacks them even with `prune` off: what failed syncs created,
   * undone by a rollback (see PruneSetInput.remove).
   */
  readonly remove?: readonly ObjectRef[];
}

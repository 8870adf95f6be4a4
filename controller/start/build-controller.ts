import cron from "node-cron";
import type { Logger } from "pino";
import type { Applyer } from "../../applyers/applyer.js";
import { createKubeObjectReader } from "../../applyers/kube-api.js";
import { systemClock, systemTimers } from "../../common/clock.js";
import { createCustomResourceLister } from "../../kube/list-custom-resources.js";
import { createPodLister } from "../../kube/list-pods.js";
import { describeRef } from "../../kube/objects.js";
import type { Config } from "../config/types.js";
import type { Fleet } from "../fleet/fleet.js";
import { type Controller, createController } from "../loop/controller.js";
import type { LeaderElector } from "../loop/leader.js";
import { announceSuspension, notifyResult } from "../report/announce.js";
import { resultEventListener } from "../report/events/result-events.js";
import type { EmitServiceEvent } from "../report/events/service-events.js";
import type { ControllerMetrics } from "../report/metrics.js";
import type { NotifyDispatcher } from "../report/notify/dispatcher.js";
import { createGitHubSource } from "../source/github.js";
import { fencedApplyer, workGate } from "./fleet.js";
import {
  meteredFetch,
  type ProgressTracker,
  tracked,
  trackedApplyer,
  trackedFetch,
  trackedSource,
  trackedStore,
} from "./observe.js";
import type { PreviewWiring } from "./previews.js";
import type { SharedWiring } from "./shared-wiring.js";
import { buildApplyer, buildStateStore, type CommitStatusWiring, type WiringOptions } from "./wiring.js";

/** ControllerParts are what the controller is built from: the config, the wiring, and who observes it. */
export interface ControllerParts {
  readonly config: Config;
  readonly shared: SharedWiring;
  readonly wiring: WiringOptions;
  /** stateNamespace is where the `configmap` state store keeps the state. */
  readonly stateNamespace: string;
  readonly progress: ProgressTracker;
  readonly metrics: ControllerMetrics;
  readonly notifier: NotifyDispatcher;
  readonly commitStatuses: CommitStatusWiring | undefined;
  /** emitEvent records a Kubernetes Event about a service (see controller/report/events). */
  readonly emitEvent: EmitServiceEvent;
  readonly elector: LeaderElector | undefined;
  /** fleet decides which services this controller syncs, when they are shared out (`sharding`). */
  readonly fleet?: Fleet | undefined;
  /** previews hear of each repository's poll, to preview its pull requests after its sync. */
  readonly previews?: Pick<PreviewWiring, "runner"> | undefined;
  readonly log: Logger;
}

/**
 * buildController is the production controller: GitHub as the source, the configured applyers and state store,
 * every outward call tracked for liveness, and each result told to commit statuses, metrics, notifications and
 * Kubernetes Events.
 */
export function buildController(parts: ControllerParts): Controller {
  const { config, shared, wiring, progress, metrics, notifier, commitStatuses, elector, log } = parts;
  const { dryRun } = wiring;
  const controller = createController({
    config,
    source: trackedSource(
      createGitHubSource({
        log: log.child({ component: "source" }),
        fetch: trackedFetch(progress, meteredFetch(metrics)),
      }),
      progress,
    ),
    applyer: trackedApplyer(fenced(buildApplyer(config, wiring), parts.fleet), progress),
    store: trackedStore(buildStateStore(config, { ...wiring, namespace: parts.stateNamespace }), progress),
    clock: systemClock,
    timers: systemTimers,
    cron: (expression, fn) => cron.schedule(expression, fn),
    log,
    dryRun,
    installNamespace: shared.installNamespace,
    releaseProbe: shared.releaseProbe,
    ...(wiring.servicePool ? { servicePool: wiring.servicePool } : {}),
    healthTimeoutMs: config.healthTimeoutSeconds * 1000,
    // Live objects are read for health checks and before every prune; a dry run reads and prunes nothing.
    ...(dryRun
      ? {}
      : {
          readObject: tracked(
            progress,
            (ref) => `read of ${describeRef(ref)}`,
            createKubeObjectReader(shared.kube),
          ),
          listPods: tracked(
            progress,
            (namespace, selector) => `list of pods ${selector} in ${namespace}`,
            createPodLister(shared.kube),
          ),
          listCustomResources: tracked(
            progress,
            (crd) => `list of the custom resources of ${crd.metadata.name}`,
            createCustomResourceLister(shared.kube),
          ),
          dryRunApply: tracked(
            progress,
            (objects) => `server-side dry run of ${objects.length} objects`,
            (objects) => shared.serverDiff.diff(objects),
          ),
        }),
    ...(elector ? { isLeader: () => elector.isLeader() } : {}),
    ...(parts.fleet ? { gate: workGate(parts.fleet) } : {}),
    onPoll: (outcome) => {
      metrics.observePoll(outcome);
      // After the repository's sync, in the background: no poll or sync ever waits for a preview.
      if (outcome.status !== "failed") parts.previews?.runner.afterPoll(outcome.repoKey);
    },
    onSuspension: (service, suspended) => metrics.setSuspended(service, suspended),
    onSuspensionChange: announceSuspension(config, parts.emitEvent, notifier),
    ...(commitStatuses ? { onSyncStart: commitStatuses.started } : {}),
    listeners: [
      ...(commitStatuses ? [commitStatuses.finished] : []),
      (result) => metrics.observeSync(result),
      resultEventListener(parts.emitEvent),
      notifyResult(notifier, (service) => controller.getState().services[service]?.files),
    ],
  });
  return controller;
}

function fenced(applyer: Applyer, fleet: Fleet | undefined): Applyer {
  return fleet ? fencedApplyer(applyer, () => fleet.current()) : applyer;
}

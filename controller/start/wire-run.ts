import type { Logger } from "pino";
import { systemClock, systemTimers } from "../../common/clock.js";
import type { Config } from "../config/types.js";
import type { Fleet } from "../fleet/fleet.js";
import type { Controller } from "../loop/controller.js";
import type { LeaderElector } from "../loop/leader.js";
import { type ControllerMetrics, createMetrics } from "../report/metrics.js";
import { createNotifyDispatcher, type NotifyDispatcher } from "../report/notify/dispatcher.js";
import { notifyTargets } from "../report/notify/targets.js";
import { buildController } from "./build-controller.js";
import type { ControllerOptions } from "./cli-options.js";
import { buildElector, podOf } from "./elector.js";
import { buildServiceEvents, type ServiceEventsWiring } from "./events.js";
import { buildFleet } from "./fleet.js";
import { type Handover, handoverOf } from "./handover.js";
import { createProgressTracker, livenessLimitMs, meteredFetch, type ProgressTracker } from "./observe.js";
import { buildPreviews, type PreviewWiring } from "./previews.js";
import type { ProcessEdge } from "./process-edge.js";
import type { SharedWiring } from "./shared-wiring.js";
import { buildCommitStatuses, type CommitStatusWiring, wiringOptions } from "./wiring.js";

/** RunParts are the pieces of a running controller that `--once` and serving drive and shut down. */
export interface RunParts {
  readonly controller: Controller;
  /** elector is the leader election, when this process runs as one of several replicas. */
  readonly elector: LeaderElector | undefined;
  /** fleet shares the services out with the other pods (`sharding`); then there is no elector. */
  readonly fleet: Fleet | undefined;
  /** handover resolves once the pods of the other way of working (leader or members) stopped: this one works then. */
  readonly handover: Handover | undefined;
  readonly metrics: ControllerMetrics;
  readonly progress: ProgressTracker;
  readonly notifier: NotifyDispatcher;
  readonly commitStatuses: CommitStatusWiring | undefined;
  /** events records Kubernetes Events on the controller's Pod: each sync's, and what suspend, resume, rollback say. */
  readonly events: ServiceEventsWiring;
  /** previews are the pull request previews of repositories with `pr_preview` (none on a dry run or with --once). */
  readonly previews: PreviewWiring | undefined;
}

/**
 * wireRun builds a controller and what surrounds it: the leader election (leading starts a sync, losing the Lease
 * aborts the one in flight), metrics, liveness tracking, notifications, commit statuses and Kubernetes Events.
 */
export function wireRun(
  config: Config,
  options: ControllerOptions,
  shared: SharedWiring,
  edge: ProcessEdge,
  baseLog: Logger,
): RunParts {
  const fleet = buildFleet(config, options, edge.env, shared.kube, baseLog, {
    letGo: (services) => controller.letGo(services),
    onGained: (services, first) => controller.gained(services, first),
    // A push webhook or manual sync that reached another pod: this one syncs its own services of it now.
    onRequest: (request) => controller.requestSync(request),
    onView: (view, moves) => {
      metrics.setLeader(fleet?.leads() ?? false);
      metrics.observeShards(view.identity, view.members, moves);
    },
  });
  // With sharding every pod applies: each line says which one.
  const log = fleet ? baseLog.child({ member: fleet.identity }) : baseLog;
  const wiring = wiringOptions(options, edge, shared.kube, log, (size) => metrics.setPoolSize(size));
  const elector = fleet
    ? undefined
    : buildElector(options, edge.env, shared.kube, log, {
        onStartedLeading: () => {
          metrics.setLeader(true);
          controller.requestSync({ trigger: "startup" });
        },
        onStoppedLeading: () => {
          metrics.setLeader(false);
          // A replica that lost the Lease must not write again: the sync in flight stops before its next write.
          controller.abort("lost the leader Lease");
        },
      });
  const works = fleet ? "member" : elector ? "leader" : undefined;
  const handover = handoverOf(works, podOf(options, edge.env), shared.kube, log);
  const metrics = createMetrics();
  if (wiring.servicePool) metrics.setPoolSize(wiring.servicePool.size());
  // Every outward call of the loop is tracked, so /healthz can tell a wedged loop from a busy one and say which call.
  const progress = createProgressTracker({
    limitMs: livenessLimitMs(config),
    slowMs: 60_000,
    clock: systemClock,
    timers: systemTimers,
    log: log.child({ component: "liveness" }),
  });
  const notifier = createNotifyDispatcher({
    targets: notifyTargets(config.notifications, edge.env),
    log: log.child({ component: "notify" }),
  });
  // Repositories with commit_status: true get a status per service on each commit synced (none on a dry run).
  const commitStatuses = buildCommitStatuses(config, {
    ...wiring,
    clock: systemClock,
    timers: systemTimers,
    fetch: meteredFetch(metrics),
  });
  const events = buildServiceEvents(options, edge.env, shared.kube, log);
  const previews =
    wiring.dryRun || options.once
      ? undefined
      : buildPreviews(config, {
          shared,
          state: () => controller.getState(),
          ...(elector ? { isLeader: () => elector.isLeader() } : {}),
          // One member previews pull requests for the fleet: the first live one.
          ...(fleet ? { isLeader: () => fleet.leads() } : {}),
          clock: systemClock,
          timers: systemTimers,
          fetch: meteredFetch(metrics),
          log,
        });
  const stateNamespace = edge.env.POD_NAMESPACE ?? "default";
  const parts = {
    config,
    shared,
    wiring,
    stateNamespace,
    progress,
    metrics,
    notifier,
    commitStatuses,
    emitEvent: events.emit,
    elector,
    fleet,
    previews,
    log,
  };
  const controller = buildController(parts);
  return {
    controller,
    elector,
    fleet,
    handover,
    metrics,
    progress,
    notifier,
    commitStatuses,
    events,
    previews,
  };
}

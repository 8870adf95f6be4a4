import type { ServiceConfig } from "../config/types.js";
import type { Trigger } from "../record/state/state.js";
import type { ChosenService } from "../sync/repo-sync.js";
import type { SyncRequest } from "./sync-request.js";

/**
 * chooseServices lists the services of one repository that a batch asks for, each with its trigger. A rollback a
 * person asked for is the service's only sync in the batch; a held service (suspended, or another controller's) is
 * otherwise left out, whatever asked for it (a poll, a reconcile, a webhook, a manual sync of its repository).
 */
export function chooseServices(
  services: readonly ServiceConfig[],
  batch: readonly SyncRequest[],
  repoKey: string,
  includeScheduled: boolean,
  isHeld: (service: string) => boolean,
): ChosenService[] {
  return services
    .filter((service) => service.repoKey === repoKey)
    .flatMap((service): ChosenService[] => {
      const rollback = batch.findLast(
        (request) => request.trigger === "rollback" && request.service === service.name,
      )?.rollback;
      if (rollback) return [{ service, trigger: "rollback", rollback }];
      if (isHeld(service.name)) return [];
      const trigger = triggerFor(batch, service, includeScheduled);
      return trigger === undefined ? [] : [{ service, trigger }];
    });
}

// A reconcile outranks a poll: asked for together, the service's whole set is applied at the head just read.
const TRIGGER_PRIORITY: readonly Trigger[] = [
  "rollback",
  "manual",
  "webhook",
  "schedule",
  "startup",
  "reconcile",
  "poll",
];

/** strongestTrigger is the trigger a sync reports when several asked for it: a person's request over a timer's. */
export function strongestTrigger(triggers: readonly Trigger[]): Trigger | undefined {
  return [...triggers].sort((a, b) => TRIGGER_PRIORITY.indexOf(a) - TRIGGER_PRIORITY.indexOf(b))[0];
}

/**
 * triggerFor says whether a batch of requests asks for a service, and with which trigger. A service with a
 * `schedule` syncs only on its schedule or when named (or in a run that includes scheduled services, `--once`).
 * A failed service is polled like the others: whether its failed commit waits for its backoff is decided once the
 * head is known (sync/backoff.ts), so a new head is never held back.
 */
function triggerFor(
  batch: readonly SyncRequest[],
  service: ServiceConfig,
  includeScheduled: boolean,
): Trigger | undefined {
  const triggers: Trigger[] = [];
  for (const request of batch) {
    // A rollback is never a sync of the head: one without its commit (not from the loop) asks for nothing.
    if (request.trigger === "rollback") continue;
    const named = request.service === service.name;
    if (request.service !== undefined && !named) continue;
    if (request.repoKey !== undefined && request.repoKey !== service.repoKey) continue;
    if (service.schedule && !named && !includeScheduled && request.trigger !== "schedule") continue;
    triggers.push(request.trigger);
  }
  return strongestTrigger(triggers);
}

import type { Logger } from "pino";
import type { Applyer } from "../../applyers/applyer.js";
import type { KubeRequest } from "../../kube/http.js";
import { refOf } from "../../kube/objects.js";
import type { Config } from "../config/types.js";
import { createFleet, type Fleet, type FleetOptions } from "../fleet/fleet.js";
import { createMembership } from "../fleet/membership.js";
import type { WorkGate } from "../loop/controller-deps.js";
import type { ControllerOptions } from "./cli-options.js";
import { podOf } from "./elector.js";

/**
 * buildFleet makes this process one member of the fleet when `sharding` is on (unset, it is with `state: configmap`)
 * and it runs in a pod (the DaemonSet sets POD_NAME and POD_NAMESPACE): its own Lease, named after the pod, in the
 * pod's namespace. Run by hand, with --once or --dry-run, or with sharding off, there is none.
 */
export function buildFleet(
  config: Pick<Config, "sharding" | "services">,
  options: Pick<ControllerOptions, "once" | "dryRun">,
  env: Readonly<Record<string, string | undefined>>,
  kube: KubeRequest,
  log: Logger,
  hooks: Pick<FleetOptions, "letGo" | "onGained" | "onView" | "onRequest">,
): Fleet | undefined {
  const pod = podOf(options, env);
  if (!config.sharding || !pod) return undefined;
  const fleetLog = log.child({ component: "fleet" });
  return createFleet({
    membership: createMembership({ ...pod, request: kube, log: fleetLog }),
    services: config.services.map((service) => service.name),
    log: fleetLog,
    ...hooks,
  });
}

/** workGate is what the loop asks of the fleet: which services are this member's now. */
export function workGate(fleet: Fleet): WorkGate {
  return {
    works: (service) => fleet.works(service),
    current: () => fleet.current(),
    alone: () => fleet.alone(),
    ownerOf: (service) => fleet.view().owners.get(service),
  };
}

/**
 * fencedApplyer sends nothing while this member may not act (it has not renewed its Lease, or not read the members
 * since it did): a member frozen past its Lease (a long pause, SIGSTOP) wakes with syncs half done, and by then
 * their services may be another member's. What it would have sent is `skipped`, and its results are not recorded.
 */
export function fencedApplyer(applyer: Applyer, current: () => boolean): Applyer {
  const why = "not sent: this controller has not confirmed it still owns the service (its Lease lapsed)";
  return {
    name: applyer.name,
    ensureInstalled: () => applyer.ensureInstalled(),
    async apply(objects, opts) {
      if (current()) return applyer.apply(objects, opts);
      return {
        applyer: applyer.name,
        objects: objects.map((object) => ({ ...refOf(object), action: "skipped", message: why })),
      };
    },
    async delete(refs, opts) {
      if (current()) return applyer.delete(refs, opts);
      return {
        applyer: applyer.name,
        objects: refs.map(({ uid: _uid, ...ref }) => ({ ...ref, action: "failed", message: why })),
      };
    },
  };
}

import type { Clock } from "../common/clock.js";
import { createServicePool, type ServicePool } from "../controller/sync/service-pool.js";

/**
 * serialPool is a pool of service syncs with one slot, for the tests whose point needs services to sync one after
 * the other, in the config's order: a service still waiting its turn, the order of what reached the "cluster".
 */
export function serialPool(clock: Pick<Clock, "monotonic">): ServicePool {
  return createServicePool({ clock, sizing: { min: 1, start: 1, max: 1, slowMs: 1_000 } });
}

import type { SyncResult } from "../record/result.js";
import type { Trigger } from "../record/state/state.js";
import type { Loop } from "./loop-state.js";

/**
 * claimService marks a service's sync as under way until the returned release is called (see RepoSyncDeps.claim),
 * or refuses it, undefined, when the service is suspended (only a rollback syncs a suspended service) or, with
 * several controllers, is not this one's to work on any more.
 */
export function claimService(loop: Loop, service: string, trigger: Trigger): (() => void) | undefined {
  if (trigger !== "rollback" && loop.recorder.state().services[service]?.suspended) return undefined;
  if (!worksOn(loop, service)) return undefined;
  let release = () => {};
  const done = new Promise<void>((resolve) => {
    release = resolve;
  });
  loop.claims.set(service, done);
  return () => {
    if (loop.claims.get(service) === done) loop.claims.delete(service);
    release();
  };
}

/** claimEnded resolves once the sync of a service under way, if any, has recorded its outcome. */
export async function claimEnded(loop: Pick<Loop, "claims">, service: string): Promise<void> {
  await loop.claims.get(service);
}

/** worksOn says whether this controller may sync a service now: always, unless the services are shared out. */
export function worksOn(loop: Pick<Loop, "deps">, service: string): boolean {
  return loop.deps.gate?.works(service) ?? true;
}

/**
 * letGo waits for the syncs under way of services handed to another controller to record their outcome, and writes
 * what was recorded, before the other one may start on them.
 */
export async function letGo(loop: Loop, services: ReadonlySet<string>): Promise<void> {
  await Promise.all([...services].map((service) => claimEnded(loop, service)));
  await loop.recorder.flush();
}

/**
 * recordIfOurs records a sync's outcome only while the service is still this controller's: once handed over, its
 * new owner records it, from what this one wrote before letting go.
 */
export async function recordIfOurs(
  loop: Loop,
  result: SyncResult,
  record: () => Promise<unknown>,
): Promise<void> {
  if (!worksOn(loop, result.service)) {
    loop.deps.log.info(
      { service: result.service, status: result.status },
      `service ${result.service} was handed to another controller during its sync; its new owner records it`,
    );
    return;
  }
  await record();
}

import type { Trigger } from "../record/state/state.js";
import type { Loop } from "./loop-state.js";

/**
 * claimService marks a service's sync as under way until the returned release is called (see RepoSyncDeps.claim),
 * or refuses it, undefined, when the service is suspended: only a rollback syncs a suspended service.
 */
export function claimService(loop: Loop, service: string, trigger: Trigger): (() => void) | undefined {
  if (trigger !== "rollback" && loop.recorder.state().services[service]?.suspended) return undefined;
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

import type { ChosenService, RepoRun } from "./repo-run.js";

/**
 * heldByDependencies says whether a service's new commit waits for its dependencies (see RepoSyncDeps.waitingOn):
 * nothing of it is applied, a line names each dependency and why, and the loop hears it (onHeld) so that the
 * service starts in the same run once they land. Its landed set stays what runs.
 */
export function heldByDependencies(run: RepoRun, chosen: ChosenService, commit: string): boolean {
  // Only `depends_on` holds a service back: for one without it, asking the loop cost a look at every service of the
  // round, for every service synced (O(services²) in a first sync, issue 32).
  if (!chosen.service.dependsOn?.length) return false;
  const holds = run.deps.waitingOn?.(chosen.service.name) ?? [];
  if (holds.length === 0) return false;
  const name = chosen.service.name;
  run.deps.log.info(
    { service: name, commit, waitingOn: holds },
    `service ${name} waits on ${holds.map((hold) => `${hold.service}: ${hold.reason}`).join("; ")}`,
  );
  run.deps.onHeld?.(chosen);
  return true;
}

import type { Config } from "../config/types.js";
import { repoLabel, type SyncResult } from "../record/result.js";
import type { SuspendRequest, SuspensionChange } from "../record/suspension.js";
import type { EmitServiceEvent } from "./events/service-events.js";
import type { Notifier } from "./notify/notifier.js";

/**
 * announceSuspension tells what a person's suspend or resume did, as a Kubernetes Event (`Suspended`, `Resumed`) and
 * one notification, with who asked and why.
 */
export function announceSuspension(
  config: Pick<Config, "services" | "repos">,
  emit: EmitServiceEvent,
  notifier: Pick<Notifier, "notifyEvent">,
): (kind: "suspend" | "resume", service: string, request: SuspendRequest, change: SuspensionChange) => void {
  return (kind, service, request, change) => {
    const repoKey = config.services.find((candidate) => candidate.name === service)?.repoKey;
    const repo = config.repos.find((candidate) => candidate.key === repoKey);
    const why = request.reason ? `: ${request.reason}` : "";
    const commit = change.suspension?.commit;
    emit(
      kind === "suspend" ? "Suspended" : "Resumed",
      service,
      kind === "suspend"
        ? `suspended by ${request.by}${commit ? ` at commit ${commit.slice(0, 12)}` : ""}${why}: nothing is applied, corrected or pruned until resumed`
        : `resumed by ${request.by}${why}: git drives it again from the next poll`,
    );
    notifier.notifyEvent({
      event: kind === "suspend" ? "suspended" : "resumed",
      service,
      repo: repo ? repoLabel(repo) : "",
      by: request.by,
      ...(request.reason !== undefined && { reason: request.reason }),
      ...(commit !== undefined && { commit }),
    });
  };
}

/**
 * notifyResult sends one notification for a sync result: a rollback's as a `rolled_back` service event (who asked,
 * what it restored, and for the controller's own rollback which commit failed and why), any other as the sync it
 * was. A failed sync that a rollback follows says nothing itself: the rollback's notification carries its failure.
 * A dry run deploys nothing, so it announces nothing.
 */
export function notifyResult(
  notifier: Pick<Notifier, "notify" | "notifyEvent">,
  filesOf: (service: string) => Readonly<Record<string, string>> | undefined,
): (result: SyncResult) => void {
  return (result) => {
    if (result.dryRun || result.rollingBack) return;
    if (result.trigger !== "rollback") {
      notifier.notify(result, filesOf(result.service));
      return;
    }
    // The controller's own rollback: the commit that failed, and why.
    const failed = result.rollback?.failedCommit === undefined ? undefined : result.rollback;
    notifier.notifyEvent({
      event: "rolled_back",
      service: result.service,
      repo: result.repo,
      trigger: "rollback",
      result,
      ...(result.commit !== undefined && { commit: result.commit }),
      ...(result.actor !== undefined && { by: result.actor }),
      ...(failed !== undefined && {
        by: failed.by,
        reason: failed.reason,
        failedCommit: failed.failedCommit,
      }),
    });
  };
}

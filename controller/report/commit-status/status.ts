import type { SyncResult } from "../../record/result.js";
import { scrubSecrets } from "../../source/log.js";
import type { SyncStart } from "../../sync/repo-sync.js";

/** CommitState is the subset of GitHub's status states a sync reports. */
export type CommitState = "pending" | "success" | "failure";

/** CommitStatus is one status to set on one commit: where, and GitHub's request body. */
export interface CommitStatus {
  readonly repoKey: string;
  readonly sha: string;
  readonly state: CommitState;
  readonly context: string;
  readonly description: string;
  readonly targetUrl?: string;
}

/** StatusSettings are what every status of this controller shares. */
export interface StatusSettings {
  readonly clusterName: string;
  /** The controller's public URL without a trailing slash; without it, statuses carry no link. */
  readonly publicUrl?: string;
  /** Credentials that must never reach a description, should an error message quote one. */
  readonly secrets?: readonly string[];
}

/** MAX_DESCRIPTION is how much of a description GitHub shows; longer ones are cut with an ellipsis. */
export const MAX_DESCRIPTION = 140;

/** statusContext is `simple-gitops/<cluster>/<service>`: one check per service and cluster on a commit. */
export function statusContext(clusterName: string, service: string): string {
  return `simple-gitops/${clusterName}/${service}`;
}

/** shorten makes a status description: credentials scrubbed, on one line, cut to {@link MAX_DESCRIPTION}. */
export function shorten(text: string, secrets: readonly string[]): string {
  const clean = scrubSecrets(text, secrets).replace(/\s+/g, " ").trim();
  return clean.length <= MAX_DESCRIPTION ? clean : `${clean.slice(0, MAX_DESCRIPTION - 1)}…`;
}

function base(settings: StatusSettings, service: string, repoKey: string, sha: string) {
  return {
    repoKey,
    sha,
    context: statusContext(settings.clusterName, service),
    ...(settings.publicUrl
      ? { targetUrl: `${settings.publicUrl}/ui#service-${encodeURIComponent(service)}` }
      : {}),
  };
}

/** startedStatus is the `pending` status of a sync that began. */
export function startedStatus(settings: StatusSettings, start: SyncStart): CommitStatus {
  return {
    ...base(settings, start.service, start.repoKey, start.commit),
    state: "pending",
    description: `Syncing ${start.service} (${start.trigger})`,
  };
}

/** describeApplied counts what a landed sync did: `4 objects applied (1 created, 3 unchanged), 1 pruned`. */
function describeApplied(result: SyncResult): string {
  const counts = new Map<string, number>();
  for (const object of result.objects) counts.set(object.action, (counts.get(object.action) ?? 0) + 1);
  const parts = [...counts].map(([action, count]) => `${count} ${action}`);
  const pruned = result.pruned.filter((object) => object.action === "deleted").length;
  const applied = `${result.objects.length} object${result.objects.length === 1 ? "" : "s"} applied`;
  return `${applied}${parts.length > 0 ? ` (${parts.join(", ")})` : ""}${pruned > 0 ? `, ${pruned} pruned` : ""}`;
}

/** describeFailure is the first reason a sync failed: a file's error, else the sync's own. */
function describeFailure(result: SyncResult): string {
  const first = result.files.failed[0];
  if (first) return `${first.path}: ${first.error}`;
  return result.error ? `${result.error.code}: ${result.error.message}` : "sync failed";
}

/**
 * rolledBackStatus is the `failure` the controller's own rollback sets on the commit that failed to land, saying what
 * the service went back to and why; undefined for any other result.
 */
export function rolledBackStatus(settings: StatusSettings, result: SyncResult): CommitStatus | undefined {
  const rollback = result.rollback;
  if (rollback?.failedCommit === undefined) return undefined;
  const to = rollback.restoredCommit.slice(0, 12);
  const description =
    result.status === "failed"
      ? `Failed, and the rollback to ${to} failed too: ${result.error?.message ?? "see the status page"}`
      : `Rolled back to ${to}: ${rollback.reason}`;
  return {
    ...base(settings, result.service, result.repoKey, rollback.failedCommit),
    state: "failure",
    description: shorten(description, settings.secrets ?? []),
  };
}

/** finishedStatus is the `success` or `failure` a sync's result sets on its commit; undefined when it has no commit. */
export function finishedStatus(settings: StatusSettings, result: SyncResult): CommitStatus | undefined {
  if (result.commit === undefined) return undefined;
  const failed = result.status === "failed";
  return {
    ...base(settings, result.service, result.repoKey, result.commit),
    state: failed ? "failure" : "success",
    description: shorten(failed ? describeFailure(result) : describeApplied(result), settings.secrets ?? []),
  };
}

import type { Logger } from "pino";
import type { ServerDiff } from "../../../applyers/server-diff.js";
import type { Config, ServiceConfig } from "../../config/types.js";
import type { ParseCache } from "../../desired/desired-set.js";
import type { DesiredFile } from "../../desired/files.js";
import { kustomizeOptions } from "../../desired/kustomize/build.js";
import type { ReleaseProbe } from "../../desired/release-probe.js";
import { renderDesiredSet } from "../../desired/render-set.js";
import { objectPatch } from "./object-patch.js";

/** ServiceDiffDeps are what comparing one service reads from and writes to. */
export interface ServiceDiffDeps {
  /** config gives the settings a render depends on: the allowlist, cluster kinds, download URL, kustomize's. */
  readonly config: Config;
  readonly serverDiff: ServerDiff;
  /** stdout receives the unified diffs only, so they can be piped to a file or a pager. */
  readonly stdout: (text: string) => void;
  /** stderr receives what could not be compared and one summary line per service. */
  readonly stderr: (text: string) => void;
  readonly log: Logger;
  readonly signal?: AbortSignal;
  /** installNamespace is the controller's own namespace, guarded as a sync guards it. */
  readonly installNamespace?: string;
  /** releaseProbe decides `stateless: auto` as a sync does. */
  readonly releaseProbe?: ReleaseProbe;
}

/** ServiceRead is a service's files at one commit (`""` for files not from a commit), or why they could not be read. */
export type ServiceRead = { commit: string; files: readonly DesiredFile[] } | { error: string };

/** ServiceDiffOutcome is what comparing one service found. */
export type ServiceDiffOutcome = "in-sync" | "differs" | "failed";

/**
 * diffService renders one service's files exactly as a sync would, compares the set with the cluster and prints
 * each object that would change as a unified diff on stdout, then one summary line on stderr. It returns whether
 * the set is in sync, differs, or could not be compared (a file or the render refused, the cluster not reached, an
 * object the server's dry run refused).
 */
export async function diffService(
  service: ServiceConfig,
  label: string,
  read: ServiceRead,
  parseCache: ParseCache,
  deps: ServiceDiffDeps,
): Promise<ServiceDiffOutcome> {
  const fail = (messages: readonly string[]) => {
    for (const message of messages) deps.stderr(`# service ${service.name}: ${message}\n`);
    deps.stderr(`${service.name} (${label}): could not be compared\n`);
    deps.log.warn({ service: service.name, errors: messages }, "diff: service could not be compared");
    return "failed" as const;
  };
  if ("error" in read) return fail([read.error]);
  const rendered = await renderDesiredSet(read.files, service, {
    parseCache,
    commit: read.commit,
    kustomize: kustomizeOptions(deps.config),
    ...(deps.signal ? { signal: deps.signal } : {}),
    ...(deps.config.namespaces ? { namespaces: deps.config.namespaces } : {}),
    ...(deps.config.downloadBaseUrl ? { downloadBaseUrl: deps.config.downloadBaseUrl } : {}),
    ...(deps.config.clusterKinds ? { clusterKinds: deps.config.clusterKinds } : {}),
    ...(deps.installNamespace ? { installNamespace: deps.installNamespace } : {}),
    ...(deps.releaseProbe ? { releaseProbe: deps.releaseProbe } : {}),
  });
  if (rendered.failures.length > 0)
    return fail(rendered.failures.map((failure) => `${failure.path}: ${failure.error}`));
  deps.log.info(
    { service: service.name, commit: read.commit, objects: rendered.objects.length },
    "diff: comparing with the cluster",
  );
  let results: Awaited<ReturnType<ServerDiff["diff"]>>;
  try {
    results = await deps.serverDiff.diff(rendered.objects, deps.signal ? { signal: deps.signal } : {});
  } catch (error: unknown) {
    if (deps.signal?.aborted) throw error;
    return fail([(error as Error).message]);
  }
  const counts = { configured: 0, created: 0, unchanged: 0, failed: 0 };
  for (const result of results) {
    const shown = objectPatch(result);
    if (shown.patch) deps.stdout(shown.patch);
    if (shown.error) deps.stderr(`${shown.error}\n`);
    if (shown.note) deps.stderr(`${shown.note}\n`);
    // Configured with nothing shown (only bookkeeping moved) is in sync as far as git is concerned.
    counts[shown.differs ? result.action : "unchanged"]++;
  }
  const summary = `${counts.configured} configured, ${counts.created} created, ${counts.unchanged} unchanged, ${counts.failed} failed`;
  deps.stderr(`${service.name} (${label}): ${summary}\n`);
  deps.log.info({ service: service.name, commit: read.commit, ...counts }, "diff: service compared");
  if (counts.failed > 0) return "failed";
  return counts.configured + counts.created > 0 ? "differs" : "in-sync";
}

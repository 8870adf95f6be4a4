import type { Logger } from "pino";
import type { ServerDiff } from "../../../applyers/server-diff.js";
import type { Config, ServiceConfig } from "../../config/types.js";
import { createParseCache, type ParseCache } from "../../desired/desired-set.js";
import type { DesiredFile } from "../../desired/files.js";
import { kustomizeOptions } from "../../desired/kustomize/build.js";
import type { ReleaseProbe } from "../../desired/release-probe.js";
import { renderDesiredSet } from "../../desired/render-set.js";
import { repoLabel } from "../../record/result.js";
import type { PollRequest, ServiceResult, Source } from "../../source/source.js";
import { sourceRepository } from "../../sync/source-repository.js";
import { objectPatch } from "./object-patch.js";
import { type ServiceGroup, selectServices } from "./select-services.js";

/** DIFF_EXIT are `--diff`'s exit statuses: in sync, something differs (or could not be compared), bad config. */
export const DIFF_EXIT = { inSync: 0, differs: 1, badConfig: 2 } as const;

/** DiffDeps are what a diff reads from and writes to; main passes the real ones. */
export interface DiffDeps {
  readonly config: Config;
  readonly source: Source;
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

type Poll = { commit: string; services: readonly ServiceResult[] } | { error: string };
type ServiceRead = { commit: string; files: readonly DesiredFile[] } | { error: string };

/**
 * runDiff compares the services named (every one when none is) at the head of their branches with the cluster and
 * returns the exit status. Each service's whole set is read and rendered exactly as a sync would, then compared
 * with a server-side dry-run apply; every object that would change is printed as a unified diff. Nothing is
 * applied and no state is read or recorded.
 */
export async function runDiff(names: readonly string[], deps: DiffDeps): Promise<number> {
  const selected = selectServices(deps.config, names);
  if ("error" in selected) {
    deps.stderr(`simple-gitops: ${selected.error}\n`);
    return DIFF_EXIT.badConfig;
  }
  const parseCache = createParseCache();
  let differs = false;
  for (const group of selected.groups) {
    const poll = await pollGroup(group, deps);
    for (const service of group.services) {
      const read = serviceRead(poll, service.name);
      const label = `${repoLabel(group.repo)}${"commit" in read ? ` ${read.commit.slice(0, 12)}` : ""}`;
      differs = (await diffService(service, label, read, parseCache, deps)) || differs;
    }
  }
  return differs ? DIFF_EXIT.differs : DIFF_EXIT.inSync;
}

/** pollGroup reads the head of one branch with every file of its services: nothing is known, so all are sent. */
async function pollGroup(group: ServiceGroup, deps: DiffDeps): Promise<Poll> {
  const request: PollRequest = {
    repository: sourceRepository(group.repo),
    services: group.services.map((service) => ({ name: service.name, dir: service.dir })),
    known: {},
  };
  try {
    const poll = await deps.source.poll(request);
    if (poll.status === "changed") return { commit: poll.commit, services: poll.services };
    if (poll.status === "failed") return { error: poll.error.message };
    return { error: `the source sent no files for head ${poll.commit}` };
  } catch (error: unknown) {
    return { error: (error as Error).message };
  }
}

/** serviceRead is one service's files at the polled head, or why they could not be read. */
function serviceRead(poll: Poll, name: string): ServiceRead {
  if ("error" in poll) return poll;
  const found = poll.services.find((entry) => entry.service === name);
  if (!found) return { error: "the source did not return it" };
  return found.ok ? { commit: poll.commit, files: found.files } : { error: found.error.message };
}

/** diffService compares one service's rendered set and prints it; it returns whether anything differs. */
async function diffService(
  service: ServiceConfig,
  label: string,
  read: ServiceRead,
  parseCache: ParseCache,
  deps: DiffDeps,
): Promise<boolean> {
  const fail = (messages: readonly string[]) => {
    for (const message of messages) deps.stderr(`# service ${service.name}: ${message}\n`);
    deps.stderr(`${service.name} (${label}): could not be compared\n`);
    deps.log.warn({ service: service.name, errors: messages }, "diff: service could not be compared");
    return true;
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
  return counts.configured + counts.created + counts.failed > 0;
}

import { createParseCache } from "../../desired/desired-set.js";
import { repoLabel } from "../../record/result.js";
import type { PollRequest, ServiceResult, Source } from "../../source/source.js";
import { sourceRepository } from "../../sync/source-repository.js";
import { diffService, type ServiceDiffDeps, type ServiceRead } from "./diff-service.js";
import { type ServiceGroup, selectServices } from "./select-services.js";

/** DIFF_EXIT are `--diff`'s exit statuses: in sync, something differs (or could not be compared), bad config. */
export const DIFF_EXIT = { inSync: 0, differs: 1, badConfig: 2 } as const;

/** DiffDeps are what a diff reads from and writes to; main passes the real ones. */
export interface DiffDeps extends ServiceDiffDeps {
  readonly source: Source;
}

type Poll = { commit: string; services: readonly ServiceResult[] } | { error: string };

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
      // A service that could not be compared counts as differing: git and the cluster are not known to agree.
      differs = (await diffService(service, label, read, parseCache, deps)) !== "in-sync" || differs;
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

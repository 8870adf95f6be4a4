import type { ServiceConfig } from "../../config/types.js";
import type { ParseCache } from "../../desired/desired-set.js";
import { type CompareDeps, compareService, type ServiceRead } from "./compare-service.js";

export type { ServiceRead } from "./compare-service.js";

/** ServiceDiffDeps are what comparing one service reads from, and where its diff is printed. */
export interface ServiceDiffDeps extends CompareDeps {
  /** stdout receives the unified diffs only, so they can be piped to a file or a pager. */
  readonly stdout: (text: string) => void;
  /** stderr receives what could not be compared and one summary line per service. */
  readonly stderr: (text: string) => void;
}

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
  const comparison = await compareService(service, read, parseCache, deps);
  if (!comparison.compared) {
    const messages = comparison.failures.map((f) => (f.path ? `${f.path}: ${f.error}` : f.error));
    for (const message of messages) deps.stderr(`# service ${service.name}: ${message}\n`);
    deps.stderr(`${service.name} (${label}): could not be compared\n`);
    deps.log.warn({ service: service.name, errors: messages }, "diff: service could not be compared");
    return "failed";
  }
  const counts = { configured: 0, created: 0, unchanged: 0, failed: 0 };
  for (const result of comparison.results) {
    if (result.patch) deps.stdout(result.patch);
    if (result.error) deps.stderr(`${result.error}\n`);
    if (result.note) deps.stderr(`${result.note}\n`);
    // Configured with nothing shown (only bookkeeping moved) is in sync as far as git is concerned.
    counts[result.differs ? result.action : "unchanged"]++;
  }
  const summary = `${counts.configured} configured, ${counts.created} created, ${counts.unchanged} unchanged, ${counts.failed} failed`;
  deps.stderr(`${service.name} (${label}): ${summary}\n`);
  const commit = "commit" in read ? read.commit : undefined;
  deps.log.info({ service: service.name, commit, ...counts }, "diff: service compared");
  if (counts.failed > 0) return "failed";
  return counts.configured + counts.created > 0 ? "differs" : "in-sync";
}

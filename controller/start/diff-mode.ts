import type { Logger } from "pino";
import type { Config } from "../config/types.js";
import { createGitHubSource } from "../source/github.js";
import type { SharedWiring } from "./shared-wiring.js";
import type { StartupDeps } from "./startup.js";

/**
 * runDiffMode is `--diff`: it compares git with the cluster and returns the exit status. Nothing is applied, no
 * state is read or recorded, nothing is served.
 */
export async function runDiffMode(
  services: readonly string[],
  config: Config,
  shared: SharedWiring,
  edge: Pick<StartupDeps, "stdout" | "stderr">,
  log: Logger,
): Promise<number> {
  // Imported only here: the diff library is not worth its memory in a process that never diffs.
  const { runDiff } = await import("../report/diff/run-diff.js");
  return runDiff(services, {
    config,
    source: createGitHubSource({ log: log.child({ component: "source" }) }),
    serverDiff: shared.serverDiff,
    stdout: edge.stdout,
    stderr: edge.stderr,
    log: log.child({ component: "diff" }),
    installNamespace: shared.installNamespace,
    releaseProbe: shared.releaseProbe,
  });
}

import type { Logger } from "pino";
import type { Config } from "../config/types.js";
import { createGitHubSource } from "../source/github.js";
import { createGitHubClient, defaultRetryPolicy } from "../source/github-client.js";
import { createClientPool } from "../source/github-clients.js";
import type { Source } from "../source/source.js";
import { sourceRepository } from "../sync/source-repository.js";
import type { ControllerOptions } from "./cli-options.js";
import type { SharedWiring } from "./shared-wiring.js";
import type { StartupDeps } from "./startup.js";

/**
 * runDiffMode is `--diff`: it compares git with the cluster and returns the exit status. Nothing is applied, no
 * state is read or recorded, nothing is served. With `--ref` it previews merging that ref instead.
 */
export async function runDiffMode(
  options: Pick<ControllerOptions, "services" | "ref">,
  config: Config,
  shared: SharedWiring,
  edge: Pick<StartupDeps, "stdout" | "stderr">,
  log: Logger,
): Promise<number> {
  const source = createGitHubSource({ log: log.child({ component: "source" }) });
  if (options.ref !== undefined)
    return runRefMode(options.ref, options.services ?? [], config, source, shared, edge, log);
  // Imported only here: the diff library is not worth its memory in a process that never diffs.
  const { runDiff } = await import("../report/diff/run-diff.js");
  return runDiff(options.services ?? [], {
    config,
    source,
    serverDiff: shared.serverDiff,
    stdout: edge.stdout,
    stderr: edge.stderr,
    log: log.child({ component: "diff" }),
    installNamespace: shared.installNamespace,
    releaseProbe: shared.releaseProbe,
  });
}

/** runRefMode is `--diff --ref`: the preview a pull request merging the ref would get, printed. */
async function runRefMode(
  ref: string,
  services: readonly string[],
  config: Config,
  source: Source,
  shared: SharedWiring,
  edge: Pick<StartupDeps, "stdout" | "stderr">,
  log: Logger,
): Promise<number> {
  const { runRefPreview } = await import("../preview/run-ref-preview.js");
  const diffLog = log.child({ component: "diff" });
  const secrets = config.repos.flatMap((repo) => {
    const { token, app } = sourceRepository(repo);
    return [token ?? [], app?.privateKey ?? []].flat();
  });
  return runRefPreview(ref, services, {
    config,
    source,
    client: createClientPool({ createClient: createGitHubClient, log: diffLog, retry: defaultRetryPolicy }),
    compare: {
      serverDiff: shared.serverDiff,
      log: diffLog,
      installNamespace: shared.installNamespace,
      releaseProbe: shared.releaseProbe,
    },
    secrets,
    stdout: edge.stdout,
    stderr: edge.stderr,
    log: diffLog,
    signal: new AbortController().signal,
    now: Date.now,
  });
}

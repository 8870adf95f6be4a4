import { join } from "node:path";
import type { Logger } from "pino";
import type { Applyer } from "../../applyers/applyer.js";
import { createApplyerChain } from "../../applyers/chain.js";
import { createDryRunApplyer } from "../../applyers/dry-run.js";
import { createKubeApiApplyer } from "../../applyers/kube-api.js";
import { createKubectlApplyer } from "../../applyers/kubectl.js";
import { createNokubeApplyer } from "../../applyers/nokube.js";
import { createServerDiff } from "../../applyers/server-diff.js";
import { type Clock, systemClock, type Timers } from "../../common/clock.js";
import type { KubeRequest } from "../../kube/http.js";
import type { Config } from "../config/types.js";
import { createConfigMapStateStore } from "../record/state/configmap.js";
import { createFileStateStore } from "../record/state/file.js";
import { createMemoryStateStore } from "../record/state/memory.js";
import type { StateStore } from "../record/state/store.js";
import { type CommitStatuses, createCommitStatuses } from "../report/commit-status/commit-statuses.js";
import { createStatusPoster } from "../report/commit-status/poster.js";
import { createStatusQueue, type StatusQueue } from "../report/commit-status/queue.js";
import { answeringTo } from "../sync/pool-answers.js";
import { createServicePool, type ServicePool } from "../sync/service-pool.js";
import { sourceRepository } from "../sync/source-repository.js";
import type { ControllerOptions } from "./cli-options.js";
import type { StartupDeps } from "./startup.js";

/** WiringOptions are the run-time choices main makes from flags and the environment. */
export interface WiringOptions {
  /** kube is the process's one apiserver client. */
  readonly kube: KubeRequest;
  /** servicePool is the pool of service syncs; the API applyer's answers size it (see pool-size.ts). */
  readonly servicePool?: ServicePool;
  readonly dryRun: boolean;
  readonly stateDir: string;
  /** workspace is where the NoKube CLI is downloaded (`{workspace}/bin/nokube`). */
  readonly workspace: string;
  readonly write: (text: string) => void;
  readonly log: Logger;
  /**
   * env is the controller's environment (main passes `process.env`). Applyers pick only an allowlist from it for
   * the processes they start (kubectl, NoKube), so no token or secret reaches a child.
   */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** wiringOptions are the run's choices from its flags, with the environment, the apiserver client and stdout. */
export function wiringOptions(
  options: Pick<ControllerOptions, "dryRun" | "stateDir">,
  edge: Pick<StartupDeps, "env" | "stdout">,
  kube: KubeRequest,
  log: Logger,
  onPoolResize?: (size: number) => void,
): WiringOptions {
  return {
    kube,
    servicePool: createServicePool({
      clock: systemClock,
      ...(onPoolResize ? { onResize: onPoolResize } : {}),
    }),
    // Child processes (kubectl, NoKube) get only what they need of it: never the tokens and secrets.
    env: edge.env,
    dryRun: options.dryRun,
    stateDir: options.stateDir,
    workspace: defaultWorkspace(edge.env, options.stateDir),
    write: edge.stdout,
    log,
  };
}

/**
 * buildApplyer turns the configured `applyers` list into one chain. A dry run replaces the chain with an applyer
 * that prints what it would send, so nothing reaches a cluster.
 */
export function buildApplyer(config: Config, options: WiringOptions): Applyer {
  // With a kubeconfig, a dry run says what the server would do with each object, as a server-side dry run does.
  if (options.dryRun)
    return createDryRunApplyer(options.write, { compare: createServerDiff({ request: options.kube }) });
  // apply_timeout bounds each kubectl or NoKube run: one that hangs is killed and its sync fails and is retried.
  const timeoutMs = config.applyTimeoutSeconds * 1000;
  const applyers = config.applyers.map((name): Applyer => {
    const log = options.log.child({ applyer: name });
    if (name === "kubectl") return createKubectlApplyer({ log, timeoutMs, env: options.env });
    if (name === "api") {
      const { servicePool, kube } = options;
      const request = servicePool ? answeringTo(servicePool, systemClock, kube) : kube;
      return createKubeApiApplyer({ log, request });
    }
    if (!config.nokube)
      throw new Error("nokube applyer without applyer_nokube: the config check should prevent this");
    return createNokubeApplyer({
      clusterName: config.nokube.clusterName,
      downloadUrl: config.nokube.downloadUrl,
      workspace: options.workspace,
      timeoutMs,
      log,
      env: options.env,
      ...(config.nokube.sha256 ? { sha256: config.nokube.sha256 } : {}),
    });
  });
  return createApplyerChain({ applyers, log: options.log });
}

/**
 * buildStateStore picks the configured store: `file` in the state directory, or `configmap` in the controller's
 * own namespace. A dry run keeps state in memory only, so it never records anything as deployed.
 */
export function buildStateStore(
  config: Pick<Config, "state">,
  options: Pick<WiringOptions, "dryRun" | "stateDir" | "log" | "kube"> & { readonly namespace: string },
): StateStore {
  if (options.dryRun) return createMemoryStateStore();
  if (config.state === "configmap") {
    return createConfigMapStateStore({
      namespace: options.namespace,
      request: options.kube,
      log: options.log.child({ component: "state" }),
    });
  }
  return createFileStateStore(options.stateDir, { log: options.log.child({ component: "state" }) });
}

/** defaultWorkspace is the DaemonSet's writable volume, or the state directory's parent when run by hand. */
export function defaultWorkspace(
  env: Readonly<Record<string, string | undefined>>,
  stateDir: string,
): string {
  return env.WORKSPACE_DIR ?? join(stateDir, "..");
}

/** CommitStatusWiring is what main hooks into the controller, and the queue to drain at shutdown. */
export interface CommitStatusWiring extends CommitStatuses {
  readonly queue: StatusQueue;
}

/**
 * buildCommitStatuses sets up commit statuses for the repositories with `commit_status: true`, or returns undefined
 * when none has it or this is a dry run (which deploys nothing, so reports nothing).
 */
export function buildCommitStatuses(
  config: Pick<Config, "repos" | "clusterName" | "publicUrl">,
  options: Pick<WiringOptions, "dryRun" | "log"> & {
    readonly clock: Clock;
    readonly timers: Timers;
    readonly fetch?: typeof globalThis.fetch;
    readonly queue?: Partial<Pick<Parameters<typeof createStatusQueue>[0], "spacingMs" | "baseDelayMs">>;
  },
): CommitStatusWiring | undefined {
  const repos = config.repos.filter((repo) => repo.commitStatus);
  if (options.dryRun || repos.length === 0) return undefined;
  const log = options.log.child({ component: "commit-status" });
  const statusRepos = repos.map((repo) => ({ ...sourceRepository(repo), key: repo.key }));
  const queue = createStatusQueue({
    post: createStatusPoster({
      repos: statusRepos,
      log,
      now: () => options.clock.now(),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    }),
    clock: options.clock,
    timers: options.timers,
    log,
    ...options.queue,
  });
  const secrets = statusRepos.flatMap((repo) => [repo.token ?? [], repo.app?.privateKey ?? []].flat());
  const statuses = createCommitStatuses({
    settings: {
      clusterName: config.clusterName,
      ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
      secrets,
    },
    repoKeys: new Set(repos.map((repo) => repo.key)),
    queue,
    log,
  });
  return { ...statuses, queue };
}

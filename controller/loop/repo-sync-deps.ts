import { kustomizeOptions } from "../desired/kustomize/build.js";
import type { RepoSyncDeps } from "../sync/repo-sync.js";
import { claimService } from "./claims.js";
import type { Loop } from "./loop-state.js";
import { syncSlots } from "./sync-slots.js";

/**
 * repoSyncDeps is what each repository's sync in a run gets from the controller: its collaborators and settings,
 * the recorder's turn-taking record, the run's abort signal, and its slots (see syncSlots).
 */
export function repoSyncDeps(loop: Loop, signal: AbortSignal): RepoSyncDeps {
  const { deps, recorder } = loop;
  const { config, clock, log } = deps;
  return {
    source: deps.source,
    applyer: deps.applyer,
    clock,
    log,
    parseCache: loop.parseCache,
    kustomize: kustomizeOptions(config),
    dryRun: deps.dryRun ?? false,
    prune: config.prune,
    healthTimeoutMs: deps.healthTimeoutMs ?? 0,
    retryBaseMs: config.pollIntervalSeconds * 1000,
    record: loop.record,
    wait: recorder.wait,
    ownerOf: loop.ownerOf,
    signal,
    claim: (service, trigger) => claimService(loop, service, trigger),
    ...syncSlots(loop, signal),
    announce: (result) => {
      for (const listener of deps.listeners ?? []) listener(result);
    },
    ...(deps.onSyncStart ? { onSyncStart: deps.onSyncStart } : {}),
    ...(deps.readObject ? { readObject: deps.readObject } : {}),
    ...(deps.listPods ? { listPods: deps.listPods } : {}),
    ...(deps.listCustomResources ? { listCustomResources: deps.listCustomResources } : {}),
    ...(deps.dryRunApply ? { dryRunApply: deps.dryRunApply } : {}),
    ...(config.namespaces ? { namespaces: config.namespaces } : {}),
    ...(config.clusterKinds ? { clusterKinds: config.clusterKinds } : {}),
    ...(deps.installNamespace ? { installNamespace: deps.installNamespace } : {}),
    ...(config.downloadBaseUrl ? { downloadBaseUrl: config.downloadBaseUrl } : {}),
    ...(deps.releaseProbe ? { releaseProbe: deps.releaseProbe } : {}),
  };
}

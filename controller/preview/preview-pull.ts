import { refKey } from "../../kube/objects.js";
import type { Config, ServiceConfig } from "../config/types.js";
import type { ParseCache } from "../desired/desired-set.js";
import type { ControllerState } from "../record/state/state.js";
import { type CompareDeps, compareService, type ServiceRead } from "../report/diff/compare-service.js";
import type { Source } from "../source/source.js";
import { sourceRepository } from "../sync/source-repository.js";
import type { PullPaths } from "./pull-files.js";
import { servicePreview } from "./service-preview.js";
import { touchedServices } from "./touched.js";
import type { Preview, PullRequest } from "./types.js";
import { verdict } from "./verdict.js";

/** PreviewDeps are what previewing a pull request reads: the config, git at its head, the cluster and the state. */
export interface PreviewDeps {
  readonly config: Config;
  readonly source: Source;
  /** How a set is compared with the cluster (the server-side dry run), as `--diff` compares it. */
  readonly compare: Omit<CompareDeps, "config" | "signal" | "ownerOf">;
  /** The controller's state: each service's landed files and inventory, and who holds which object. */
  readonly state: () => ControllerState;
  readonly ownerOf: NonNullable<CompareDeps["ownerOf"]>;
  readonly parseCache: ParseCache;
  /** Credentials that must never reach a status description or a comment. */
  readonly secrets: readonly string[];
  readonly now: () => number;
}

/**
 * previewPull makes a pull request's preview at its head: the services its changed paths touch (every service of the
 * repository when GitHub could not list them all), each read at the head, rendered exactly as a sync renders it
 * (its content is untrusted: the same budgets and refusals apply) and compared with the cluster through a
 * server-side dry run. Nothing is applied. A service the pull request does not touch costs no read and no render.
 */
export async function previewPull(
  pull: PullRequest,
  changed: PullPaths,
  deps: PreviewDeps,
  signal: AbortSignal,
): Promise<Preview> {
  const { config } = deps;
  const repo = config.repos.find((candidate) => candidate.key === pull.repoKey);
  if (repo === undefined) throw new Error(`no repository ${pull.repoKey} in the config`);
  const services = config.services.filter((service) => service.repoKey === repo.key);
  const state = deps.state();
  const landed = (name: string) => state.services[name]?.files;
  const touched = changed.complete ? touchedServices(services, changed.paths, landed) : services;
  const previews = [];
  for (const service of touched) {
    signal.throwIfAborted();
    const read = await readAtHead(deps.source, sourceRepository(repo), service, pull.headSha, landed);
    const comparison = await compareService(service, read, deps.parseCache, {
      ...deps.compare,
      config,
      signal,
      ownerOf: deps.ownerOf,
    });
    const record = state.services[service.name];
    const paths = new Map(record?.objects.map((object) => [refKey(object), object.path]));
    previews.push(
      servicePreview({
        service,
        comparison,
        inventory: record?.inventory ?? [],
        pathOf: (ref) => paths.get(refKey(ref)),
        prune: config.prune,
      }),
    );
  }
  return {
    pull,
    commit: pull.headSha,
    ...verdict(previews, deps.secrets),
    services: previews,
    at: new Date(deps.now()).toISOString(),
  };
}

/** readAtHead reads a service's files at the head commit (its kustomize closure, for a kustomized service). */
async function readAtHead(
  source: Source,
  repository: ReturnType<typeof sourceRepository>,
  service: ServiceConfig,
  commit: string,
  landed: (name: string) => Readonly<Record<string, string>> | undefined,
): Promise<ServiceRead> {
  const result = await source.read({
    repository,
    service: { name: service.name, dir: service.dir },
    files: landed(service.name) ?? {},
    commit,
  });
  return result.ok ? { commit, files: result.files } : { error: result.error.message };
}

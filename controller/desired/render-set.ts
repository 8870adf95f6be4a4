import type { KubeObject } from "../../kube/objects.js";
import type { ServiceConfig } from "../config/types.js";
import { buildDesiredSet, type ParseCache } from "./desired-set.js";
import { DesiredSetError } from "./errors.js";
import type { DesiredFile, FileFailure } from "./files.js";
import type { KustomizeOptions } from "./kustomize/build.js";
import type { BootstrapDecision } from "./release-probe.js";
import { type ReleaseProbe, ReleaseProbeError } from "./release-probe.js";
import { renderService, serviceConfigMapName } from "./render/render.js";
import type { SourcedObject } from "./render/types.js";

/** RenderSetOptions are the config-wide settings rendering depends on. */
export interface RenderSetOptions {
  readonly parseCache: ParseCache;
  /** commit is the commit the set is read at, written on every object (see renderService). */
  readonly commit?: string;
  readonly namespaces?: readonly string[];
  /** clusterKinds is the config's `cluster_kinds`. */
  readonly clusterKinds?: readonly string[];
  /** installNamespace is the controller's own namespace, whose install objects git may not touch. */
  readonly installNamespace?: string;
  readonly downloadBaseUrl?: string;
  /** kustomize is how a service whose directory holds a kustomization is built (remote bases refused without it). */
  readonly kustomize?: KustomizeOptions;
  /** signal stops a kustomize build in flight. */
  readonly signal?: AbortSignal;
  /** releaseProbe decides `stateless: auto`; without it such a service is applied as written. */
  readonly releaseProbe?: ReleaseProbe;
}

/** RenderedSet is a service's objects to apply, or why they cannot be, and whether its pods got the bootstrap. */
export interface RenderedSet {
  readonly objects: KubeObject[];
  readonly failures: FileFailure[];
  readonly bootstrap?: BootstrapDecision;
}

/**
 * renderDesiredSet turns every file of a service at one commit into the objects a sync applies, exactly as a sync
 * renders them: the whole directory parsed together (or its kustomization built), then rendered with the service's namespace, stateless setting
 * and the config's allowlist. Any file that cannot be used, or a render error, fails the whole set, each named.
 */
export async function renderDesiredSet(
  files: readonly Pick<DesiredFile, "path" | "sha" | "content">[],
  service: ServiceConfig,
  options: RenderSetOptions,
): Promise<RenderedSet> {
  const build = await buildDesiredSet(files, options.parseCache, {
    dir: service.dir,
    ...(options.kustomize ? { kustomize: options.kustomize } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (build.failures.length > 0) return { objects: [], failures: build.failures };
  let bootstrap: BootstrapDecision;
  try {
    bootstrap = await decideBootstrap(service, build.set.objects, options);
  } catch (error: unknown) {
    if (!(error instanceof ReleaseProbeError)) throw error;
    return { objects: [], failures: [{ path: service.dir, error: error.message, code: error.code }] };
  }
  try {
    const objects = renderService({
      service: service.name,
      ...(options.commit ? { commit: options.commit } : {}),
      objects: build.set.objects,
      configFiles: build.set.configFiles,
      defaultNamespace: service.namespace ?? "default",
      stateless: bootstrap.bootstrap,
      ...(options.downloadBaseUrl ? { downloadBaseUrl: options.downloadBaseUrl } : {}),
      ...(options.namespaces || options.clusterKinds
        ? {
            policy: {
              ...(options.namespaces ? { namespaces: options.namespaces } : {}),
              ...(options.clusterKinds ? { clusterKinds: options.clusterKinds } : {}),
            },
          }
        : {}),
      ...(options.installNamespace ? { installNamespace: options.installNamespace } : {}),
    });
    return { objects, failures: [], bootstrap };
  } catch (error: unknown) {
    if (!(error instanceof DesiredSetError)) throw error;
    return { objects: [], failures: [{ path: error.subject, error: error.reason, code: error.code }] };
  }
}

/**
 * decideBootstrap is `stateless: true|false` as configured, and for `auto` whether the service has a release where
 * its pods would look: the config's `download_base_url`, else the `download_base_url` key of its `{service}-config`
 * ConfigMap in git, as the bootstrap itself reads them.
 */
async function decideBootstrap(
  service: ServiceConfig,
  objects: readonly SourcedObject[],
  options: RenderSetOptions,
): Promise<BootstrapDecision> {
  if (service.stateless !== "auto") {
    return { bootstrap: service.stateless, reason: `stateless: ${service.stateless}` };
  }
  if (!options.releaseProbe)
    return { bootstrap: false, reason: "no release tree or download URL to look in" };
  const configMap = objects.find(
    ({ object }) =>
      object.apiVersion === "v1" &&
      object.kind === "ConfigMap" &&
      object.metadata.name === serviceConfigMapName(service.name),
  );
  const fromGit = (configMap?.object.data as Record<string, unknown> | undefined)?.download_base_url;
  const baseUrl = options.downloadBaseUrl ?? (typeof fromGit === "string" && fromGit ? fromGit : undefined);
  return options.releaseProbe(service.name, baseUrl, options.signal);
}

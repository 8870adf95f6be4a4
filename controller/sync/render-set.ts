import type { KubeObject } from "../../kube/objects.js";
import type { ServiceConfig } from "../config/types.js";
import type { KustomizeOptions } from "../kustomize/build.js";
import { RenderError } from "../render/errors.js";
import { renderService } from "../render/render.js";
import type { DesiredFile } from "../source/source.js";
import { buildDesiredSet, type ParseCache } from "./desired-set.js";
import type { FileFailure } from "./result.js";

/** RenderSetOptions are the config-wide settings rendering depends on. */
export interface RenderSetOptions {
  readonly parseCache: ParseCache;
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
): Promise<{ objects: KubeObject[]; failures: FileFailure[] }> {
  const build = await buildDesiredSet(files, options.parseCache, {
    dir: service.dir,
    ...(options.kustomize ? { kustomize: options.kustomize } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (build.failures.length > 0) return { objects: [], failures: build.failures };
  try {
    const objects = renderService({
      service: service.name,
      objects: build.set.objects,
      configFiles: build.set.configFiles,
      defaultNamespace: service.namespace ?? "default",
      stateless: service.stateless,
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
    return { objects, failures: [] };
  } catch (error: unknown) {
    if (!(error instanceof RenderError)) throw error;
    return { objects: [], failures: [{ path: error.subject, error: error.reason, code: error.code }] };
  }
}

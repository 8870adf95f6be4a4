import type { Logger } from "pino";
import type { DiffAction, ServerDiff } from "../../../applyers/server-diff.js";
import type { KubeObject, ObjectRef } from "../../../kube/objects.js";
import type { Config, ServiceConfig } from "../../config/types.js";
import type { ParseCache } from "../../desired/desired-set.js";
import type { DesiredFile, FileFailure } from "../../desired/files.js";
import { kustomizeOptions } from "../../desired/kustomize/build.js";
import type { ReleaseProbe } from "../../desired/release-probe.js";
import { type RenderedSet, renderDesiredSet } from "../../desired/render-set.js";
import { ownedElsewhere } from "../../sync/owned-elsewhere.js";
import type { ServiceSyncDeps } from "../../sync/service-run.js";
import { sourcePaths } from "../../sync/source-paths.js";
import { objectPatch } from "./object-patch.js";

/** CompareDeps are what comparing one service with the cluster reads from. */
export interface CompareDeps {
  /** config gives the settings a render depends on: the allowlist, cluster kinds, download URL, kustomize's. */
  readonly config: Config;
  readonly serverDiff: ServerDiff;
  readonly log: Logger;
  readonly signal?: AbortSignal;
  /** installNamespace is the controller's own namespace, guarded as a sync guards it. */
  readonly installNamespace?: string;
  /** releaseProbe decides `stateless: auto` as a sync does. */
  readonly releaseProbe?: ReleaseProbe;
  /** ownerOf names the service that already holds an object, refused as a sync refuses it (see ownedElsewhere). */
  readonly ownerOf?: ServiceSyncDeps["ownerOf"];
}

/** ServiceRead is a service's files at one commit (`""` for files not from a commit), or why they could not be read. */
export type ServiceRead = { commit: string; files: readonly DesiredFile[] } | { error: string };

/** ObjectComparison is one object of a service's set compared with the cluster, as a diff shows it. */
export interface ObjectComparison extends ObjectRef {
  readonly action: DiffAction;
  /** The file of git the object came from (`?` when the render did not say). */
  readonly path: string;
  /** Whether it counts as a difference: created or changed in what git decides, or not comparable. */
  readonly differs: boolean;
  /** The unified diff from the live object to what applying git would make of it (Secret values masked). */
  readonly patch?: string;
  /** The line saying why it could not be compared, for a terminal: `# <object>: <the server's refusal>`. */
  readonly error?: string;
  /** What the server said of it: why it could not be compared (schema, admission, unknown kind), or how it was. */
  readonly message?: string;
  readonly note?: string;
  /** The CRD of the same set that defines the object's kind, not served yet: a sync applies it first. */
  readonly crdInSet?: string;
}

/** CompareFailure is what kept a set from being compared: a file (named when known) or the render refused. */
export type CompareFailure = Pick<FileFailure, "error" | "code"> & { readonly path?: string };

/** ServiceComparison is a service's set compared object by object, or the failures that kept it from being compared. */
export type ServiceComparison =
  | {
      readonly compared: true;
      readonly objects: readonly KubeObject[];
      readonly results: readonly ObjectComparison[];
    }
  | { readonly compared: false; readonly failures: readonly CompareFailure[] };

/**
 * renderForCompare renders a service's files at a commit exactly as a sync renders them: the config's allowlist,
 * cluster kinds, download URL and kustomize settings, the controller's own namespace and the release probe.
 */
export function renderForCompare(
  service: ServiceConfig,
  read: { readonly commit: string; readonly files: readonly DesiredFile[] },
  parseCache: ParseCache,
  deps: Pick<CompareDeps, "config" | "signal" | "installNamespace" | "releaseProbe">,
): Promise<RenderedSet> {
  const { config, signal } = deps;
  return renderDesiredSet(read.files, service, {
    parseCache,
    commit: read.commit,
    kustomize: kustomizeOptions(config),
    ...(signal ? { signal } : {}),
    ...(config.namespaces ? { namespaces: config.namespaces } : {}),
    ...(config.downloadBaseUrl ? { downloadBaseUrl: config.downloadBaseUrl } : {}),
    ...(config.clusterKinds ? { clusterKinds: config.clusterKinds } : {}),
    ...(deps.installNamespace ? { installNamespace: deps.installNamespace } : {}),
    ...(deps.releaseProbe ? { releaseProbe: deps.releaseProbe } : {}),
  });
}

/**
 * compareService renders one service's files exactly as a sync renders them (the same budgets, kustomize, allowlist
 * and own-object guard, and with `ownerOf` the refusal of another service's objects) and compares the set with the
 * cluster through a server-side dry-run apply. Nothing is written to the cluster. It rejects only when the signal
 * aborts or no kubeconfig can be read.
 */
export async function compareService(
  service: ServiceConfig,
  read: ServiceRead,
  parseCache: ParseCache,
  deps: CompareDeps,
): Promise<ServiceComparison> {
  if ("error" in read) return { compared: false, failures: [{ error: read.error }] };
  const { signal } = deps;
  const rendered = await renderForCompare(service, read, parseCache, deps);
  const failures = [
    ...rendered.failures,
    ...(rendered.failures.length === 0 ? ownedElsewhere(service.name, rendered.objects, deps.ownerOf) : []),
  ];
  if (failures.length > 0) return { compared: false, failures };
  deps.log.info(
    { service: service.name, commit: read.commit, objects: rendered.objects.length },
    "diff: comparing with the cluster",
  );
  let diffs: Awaited<ReturnType<ServerDiff["diff"]>>;
  try {
    diffs = await deps.serverDiff.diff(rendered.objects, signal ? { signal } : {});
  } catch (error: unknown) {
    if (signal?.aborted) throw error;
    return { compared: false, failures: [{ error: (error as Error).message }] };
  }
  const pathOf = sourcePaths(rendered.objects);
  const results = diffs.map((diff): ObjectComparison => {
    const { apiVersion, kind, namespace, name } = diff;
    const shown = objectPatch(diff);
    return {
      apiVersion,
      kind,
      ...(namespace ? { namespace } : {}),
      name,
      action: diff.action,
      path: pathOf(diff),
      differs: shown.differs,
      ...(shown.patch ? { patch: shown.patch } : {}),
      ...(shown.error ? { error: shown.error } : {}),
      ...(shown.note ? { note: shown.note } : {}),
      ...(diff.message ? { message: diff.message } : {}),
      ...(diff.crdInSet ? { crdInSet: diff.crdInSet } : {}),
    };
  });
  return { compared: true, objects: rendered.objects, results };
}

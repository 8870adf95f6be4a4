import { DesiredSetError } from "../errors.js";
import { checkNamespaces, type NamespacePolicy } from "./allowlist.js";
import { checkCrdGroups } from "./crd-groups.js";
import { DEFAULT_INSTALL_NAMESPACE } from "./own-names.js";
import { checkOwnObjects } from "./own-objects.js";
import { scopeLookup } from "./scope.js";
import { sortForApply } from "./sort.js";
import { makeStateless } from "./stateless.js";
import {
  COMMIT_ANNOTATION,
  type ConfigFile,
  describeRef,
  type KubeObject,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  refKey,
  refOf,
  SERVICE_ANNOTATION,
  SERVICE_LABEL,
  SOURCE_PATH_ANNOTATION,
  type SourcedObject,
} from "./types.js";

/** RenderInput is everything rendering one service needs; it is plain data, so rendering is pure. */
export interface RenderInput {
  service: string;
  /** commit is the commit being applied, written on every object; without it (a local directory) none is written. */
  commit?: string;
  objects: readonly SourcedObject[];
  configFiles: readonly ConfigFile[];
  downloadBaseUrl?: string;
  defaultNamespace: string;
  stateless: boolean;
  bootstrapImage?: string;
  /** clusterScopedKinds adds `group/Kind` keys known to be cluster-scoped (from discovery) to the built-in list. */
  clusterScopedKinds?: Iterable<string>;
  /** namespacedKinds adds `group/Kind` keys known to be namespaced (from discovery) to the built-in list. */
  namespacedKinds?: Iterable<string>;
  /** policy is the namespace allowlist; a set that breaks it is refused here, before any applyer sees it. */
  policy?: NamespacePolicy;
  /**
   * installNamespace is the controller's own namespace (default `default`): a set that would change the install's
   * objects, or read its Secret or run as its ServiceAccount there, is refused here (see checkOwnObjects).
   */
  installNamespace?: string;
}

/**
 * renderService turns a service's parsed files into the objects to apply, in apply order: namespaced objects
 * without a namespace get the default one; config `.json` files become the `{svc}-config` ConfigMap (merged into
 * a ConfigMap of that name from git, if any); every object gets our managed-by and service labels and the service,
 * source-path and commit annotations; with `stateless`, workloads get the stateless bootstrap. Rendering a rendered set
 * yields the same set. With a `policy`, objects outside the namespace allowlist make the whole set fail; so does,
 * always, an object that reaches for the controller's own objects in `installNamespace`.
 */
export function renderService(input: RenderInput): KubeObject[] {
  const scope = scopeLookup(
    input.objects.map((o) => o.object),
    {
      ...(input.clusterScopedKinds ? { cluster: input.clusterScopedKinds } : {}),
      ...(input.namespacedKinds ? { namespaced: input.namespacedKinds } : {}),
    },
  );
  // A kind of unknown scope is given the namespace (most custom resources are namespaced); an allowlist refuses it.
  const isClusterScoped = (object: KubeObject) => scope(object) === "Cluster";
  let sourced = input.objects.map(({ path, object }) => {
    const copy = structuredClone(object);
    if (!isClusterScoped(copy) && !copy.metadata.namespace) copy.metadata.namespace = input.defaultNamespace;
    return { path, object: copy };
  });
  sourced = withServiceConfigMap(sourced, input);
  assertUnique(sourced);
  const rendered = sourced.map(({ path, object }) => {
    let out = label(object, input.service, path, input.commit);
    if (input.stateless) {
      out = makeStateless(out, {
        service: input.service,
        downloadBaseUrl: input.downloadBaseUrl,
        bootstrapImage: input.bootstrapImage,
      });
    }
    return out;
  });
  checkCrdGroups(rendered);
  checkOwnObjects(rendered, input.installNamespace ?? DEFAULT_INSTALL_NAMESPACE, scope);
  if (input.policy) checkNamespaces(rendered, input.policy, scope);
  return sortForApply(rendered);
}

/** serviceConfigMapName is the name of the ConfigMap holding a service's configuration files. */
export function serviceConfigMapName(service: string): string {
  return `${service}-config`;
}

function withServiceConfigMap(sourced: SourcedObject[], input: RenderInput): SourcedObject[] {
  if (input.configFiles.length === 0) return sourced;
  const name = serviceConfigMapName(input.service);
  const data: Record<string, string> = {};
  for (const file of input.configFiles) {
    if (data[file.name] !== undefined) {
      throw new DesiredSetError("E_CONFIG_CONFLICT", file.path, `two config files are named ${file.name}`);
    }
    data[file.name] = file.text;
  }
  const paths = input.configFiles.map((f) => f.path).join(",");
  const existing = sourced.find(
    ({ object }) =>
      object.kind === "ConfigMap" &&
      object.apiVersion === "v1" &&
      object.metadata.name === name &&
      object.metadata.namespace === input.defaultNamespace,
  );
  if (!existing) {
    const configMap: KubeObject = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name, namespace: input.defaultNamespace },
      data,
    };
    return [...sourced, { path: paths, object: configMap }];
  }
  const own = (existing.object.data ?? {}) as Record<string, string>;
  for (const key of Object.keys(data)) {
    // A rendered ConfigMap already carries the files; only a different value is a real conflict.
    if (own[key] !== undefined && own[key] !== data[key]) {
      throw new DesiredSetError(
        "E_CONFIG_CONFLICT",
        existing.path,
        `ConfigMap ${name} sets key ${key}, which config file ${key} also provides`,
      );
    }
  }
  existing.object.data = { ...own, ...data };
  return sourced;
}

function label(object: KubeObject, service: string, path: string, commit: string | undefined): KubeObject {
  return {
    ...object,
    metadata: {
      ...object.metadata,
      labels: { ...object.metadata.labels, [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [SERVICE_LABEL]: service },
      annotations: {
        ...object.metadata.annotations,
        [SERVICE_ANNOTATION]: service,
        [SOURCE_PATH_ANNOTATION]: object.metadata.annotations?.[SOURCE_PATH_ANNOTATION] ?? path,
        ...(commit ? { [COMMIT_ANNOTATION]: commit } : {}),
      },
    },
  };
}

function assertUnique(sourced: SourcedObject[]): void {
  const seen = new Map<string, string>();
  for (const { path, object } of sourced) {
    const ref = refOf(object);
    const key = refKey(ref);
    const first = seen.get(key);
    if (first !== undefined) {
      throw new DesiredSetError(
        "E_MANIFEST_INVALID",
        path,
        `${describeRef(ref)} is also defined in ${first}; an object can be defined once per service`,
      );
    }
    seen.set(key, path);
  }
}

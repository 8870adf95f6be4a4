import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import type { EnvSource } from "../common/child-env.js";
import { type CredentialDeps, credentialsFor } from "./credentials.js";
import { KubeConfigError } from "./errors.js";
import { createKubeRequest, type KubeRequest } from "./http.js";
import { IN_CLUSTER_DIR, inClusterTarget } from "./in-cluster.js";
import { type KubeConfigEntries, mergeKubeConfigs, readKubeConfigFile } from "./kubeconfig-file.js";
import type { KubeTarget, KubeTls } from "./target.js";

export { KubeConfigError } from "./errors.js";

/** KubeConfigSource is where a kubeconfig is looked for; tests give a temp HOME and service-account directory. */
export interface KubeConfigSource extends Partial<CredentialDeps> {
  readonly env: EnvSource;
  readonly serviceAccountDir?: string;
}

const defaults = (source: KubeConfigSource): CredentialDeps => ({
  env: source.env,
  readFile: source.readFile ?? ((path) => readFileSync(path, "utf8")),
  now: source.now ?? Date.now,
  ...(source.execTimeoutMs === undefined ? {} : { execTimeoutMs: source.execTimeoutMs }),
});

/**
 * loadDefaultKubeConfig looks where kubectl does: the files of $KUBECONFIG (merged, the first to define a name
 * wins), else ~/.kube/config, else the pod's service account (KUBERNETES_SERVICE_HOST and the mounted token).
 * It reads a few fields with a small loader instead of @kubernetes/client-node, whose import alone costs ~69 MiB
 * of RSS.
 */
export function loadDefaultKubeConfig(source: KubeConfigSource = { env: process.env }): KubeTarget {
  const { env } = source;
  const listed = (env.KUBECONFIG ?? "").split(delimiter).filter((path) => path !== "");
  if (listed.length > 0) {
    // kubectl skips listed files that do not exist; none existing is an error, not a silent fallback.
    const present = listed.filter((path) => existsSync(path));
    if (present.length === 0)
      throw new KubeConfigError(`no usable kubeconfig: none of $KUBECONFIG exists (${listed.join(", ")})`);
    return loadKubeConfigFiles(present, source);
  }
  const home = join(env.HOME || homedir(), ".kube", "config");
  if (existsSync(home)) return loadKubeConfigFiles([home], source);
  if (env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT)
    return inClusterTarget(source.serviceAccountDir ?? IN_CLUSTER_DIR, defaults(source));
  throw new KubeConfigError(
    "no usable kubeconfig: $KUBECONFIG is not set, ~/.kube/config does not exist, and this is not a pod (KUBERNETES_SERVICE_HOST is not set)",
  );
}

/** loadKubeConfigFiles reads and merges kubeconfig files and resolves their current context. */
export function loadKubeConfigFiles(
  paths: readonly string[],
  source: KubeConfigSource = { env: process.env },
): KubeTarget {
  const deps = defaults(source);
  const entries = mergeKubeConfigs(paths.map((path) => readKubeConfigFile(path, deps.readFile)));
  return targetOf(entries, deps);
}

function targetOf(entries: KubeConfigEntries, deps: CredentialDeps): KubeTarget {
  const fail = (message: string) => new KubeConfigError(`kubeconfig ${entries.files}: ${message}`);
  if (!entries.currentContext) throw fail("current-context is not set");
  const context = entries.contexts.get(entries.currentContext);
  if (!context) throw fail(`current-context: no context named "${entries.currentContext}" in contexts`);
  const where = `contexts[name=${entries.currentContext}].context`;
  const cluster = context.value.cluster ? entries.clusters.get(context.value.cluster) : undefined;
  if (!cluster) throw fail(`${where}.cluster: no cluster named "${context.value.cluster ?? ""}" in clusters`);
  const user = context.value.user ? entries.users.get(context.value.user) : undefined;
  if (context.value.user && !user)
    throw fail(`${where}.user: no user named "${context.value.user}" in users`);
  const server = cluster.value.server;
  if (!server) throw fail(`clusters[name=${context.value.cluster}].cluster.server is not set`);
  const tls: KubeTls = {
    ...(cluster.value.ca ? { ca: cluster.value.ca } : {}),
    ...(user?.value.cert ? { cert: user.value.cert } : {}),
    ...(user?.value.key ? { key: user.value.key } : {}),
    rejectUnauthorized: !cluster.value.insecureSkipTlsVerify,
    ...(cluster.value.tlsServerName ? { servername: cluster.value.tlsServerName } : {}),
  };
  const credentials = credentialsFor(user?.value ?? {}, { server, tls }, deps, (message) => fail(message));
  return { server, tls, ...credentials };
}

/**
 * lazyKubeRequest is one apiserver client for the whole process whose kubeconfig is loaded on the first request,
 * so a dry run, or a config that never talks to the apiserver, never needs one. A failed load is tried again on
 * the next request (a mounted token may appear later).
 */
export function lazyKubeRequest(load: () => KubeTarget = () => loadDefaultKubeConfig()): KubeRequest {
  let request: KubeRequest | undefined;
  return async (method, path, body, options) => {
    request ??= createKubeRequest(load());
    return request(method, path, body, options);
  };
}
